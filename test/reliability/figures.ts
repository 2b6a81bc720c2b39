import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { packageRoot } from '../../src/util/package-root.js';

const figures: { name: string; value: string }[] = [];

/** Records a measured figure of a reliability test; each file prints its table at the end. */
export function recordFigure(name: string, value: string): void {
  figures.push({ name, value });
  const dir = join(packageRoot(), 'artifacts');
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, 'reliability-figures.jsonl'), `${JSON.stringify({ name, value, at: new Date().toISOString() })}\n`);
}

afterAll(() => {
  if (figures.length === 0) return;
  const width = Math.max(...figures.map((f) => f.name.length));
  console.log(['reliability figures:', ...figures.map((f) => `  ${f.name.padEnd(width)}  ${f.value}`)].join('\n'));
});
