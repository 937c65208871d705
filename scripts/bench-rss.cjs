// Preloaded by `npm run bench` into each timed child (node --require): writes, when the process
// exits, its peak resident set size in KiB and the CPU time it used (user + system, in
// microseconds, all threads) to $MESHFLEET_BENCH_RSS as "<maxRSS> <cpu>".
process.on('exit', () => {
  const { maxRSS, userCPUTime, systemCPUTime } = process.resourceUsage();
  require('node:fs').writeFileSync(process.env.MESHFLEET_BENCH_RSS, `${maxRSS} ${userCPUTime + systemCPUTime}`);
});
