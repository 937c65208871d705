// Preloaded by `npm run bench` into each timed child (node --require): writes the process's peak
// resident set size in KiB to $MESHFLEET_BENCH_RSS when it exits.
process.on('exit', () => {
  require('node:fs').writeFileSync(process.env.MESHFLEET_BENCH_RSS, String(process.resourceUsage().maxRSS));
});
