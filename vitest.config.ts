import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Verilator builds and yosys runs are slow on a 2-core machine; individual tests set their own budget too.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Two workers: the machine has two cores, and simulator builds are CPU-bound.
    pool: 'forks',
    maxWorkers: 2,
  },
});
