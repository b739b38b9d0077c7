import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Each file spawns CLI processes that use both cores; running files one at a time keeps
    // timing-sensitive checks (parallel workers) meaningful on a 2-core machine.
    fileParallelism: false,
  },
});
