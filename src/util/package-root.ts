import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The directory holding qbank's package.json, found by walking up from this module, so that
 * paths to shipped data resolve the same from `src/` (tests) and from compiled `dist/src/`.
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'corpus'))) return (cached = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`qbank's package root was not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}
