import { defineConfig } from 'vitest/config';

/** `npm run eval:ci`: the dev-set regression floors, on the real model and index (slow; not in `npm test`). */
export default defineConfig({
  test: {
    include: ['eval/regression.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 900_000,
    maxWorkers: 1,
  },
});
