import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'ingest/**/*.test.ts', 'eval/**/*.test.ts', 'test/**/*.test.ts'],
    // eval/regression.test.ts runs the dev set on the real model: `npm run eval:ci` (vitest.eval.config.ts).
    exclude: ['node_modules/**', 'dist/**', 'eval/regression.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: the model-backed suites are heavy, so keep parallelism modest.
    maxWorkers: 2,
  },
});
