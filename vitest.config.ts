import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    // .tmp holds each session's scratch work (git-ignored), not the project's tests.
    exclude: ['node_modules/**', 'data/collection/**', '.tmp/**'],
    // Native addons (onnxruntime, sharp, better-sqlite3) are not fork-safe across workers
    // in every combination; forks isolate them and keep a crash in one file from hiding others.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 300_000,
    globalSetup: ['test/global-setup.ts'],
  },
});
