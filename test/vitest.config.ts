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
    // @jupyterlab/services sends a kernel_info request on every (re)connection with `void
    // p.then(...)`; a kernel restarted before it answered (a stuck cell's restart) cancels it, and
    // nothing can catch that rejection. Next.js logs such rejections and goes on; here, only that
    // one is let through, every other unhandled error still fails the run.
    onUnhandledError(error) {
      if (/^Canceled future for kernel_info_request message before replies were done$/.test(error.message ?? '')) return false;
    },
  },
});
