import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // vitest's default is one worker fewer than the CPUs: one on a 2-core machine. The tests spend
    // much of their time waiting on child processes (helm, kubectl, openssl, age, the CLI), so two
    // workers per core-pair keep both cores busy.
    maxWorkers: 2,
  },
});
