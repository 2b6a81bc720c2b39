import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'ingest/**/*.test.ts', 'eval/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: the model-backed suites are heavy, so keep parallelism modest.
    maxWorkers: 2,
  },
});
