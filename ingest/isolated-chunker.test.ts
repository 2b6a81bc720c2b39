import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/util/package-root.js';
import { DEFAULT_CHUNK_OPTIONS } from './chunk.js';
import { chunkSource } from './chunk-source.js';
import { IsolatedChunker, ParseLimitError } from './isolated-chunker.js';
import { JsonRecordsError } from './json-records.js';
import { FrontmatterError } from './remark-qbank-blocks.js';
import type { SourceFile } from './source-files.js';

const loader = new URL('../test/support/ts-loader.mjs', import.meta.url).href;
const options = { chunk: DEFAULT_CHUNK_OPTIONS, jsonFields: { id: 'id', title: 'title', text: 'text', url: 'url' } };
const source = (file: string, text: string): SourceFile => ({ file, text, sha256: '', format: file.endsWith('.json') ? 'json' : file.endsWith('.md') ? 'markdown' : 'text' });
const real = source('002_bedc587ae5620290.txt', readFileSync(join(packageRoot(), 'corpus', '002_bedc587ae5620290.txt'), 'utf8'));

const chunkers: IsolatedChunker[] = [];
const make = (o: ConstructorParameters<typeof IsolatedChunker>[0] = {}) => {
  const c = new IsolatedChunker({ loader, ...o });
  chunkers.push(c);
  return c;
};
afterAll(() => Promise.all(chunkers.map((c) => c.close())));

describe('IsolatedChunker', () => {
  it('chunks a file in a worker exactly as chunkSource does in this thread', async () => {
    const chunker = make();
    expect(await chunker.chunk(real, options)).toEqual(chunkSource(real, options));
  }, 60_000);

  it('stops a parse past its deadline, then parses the next file in a fresh worker', async () => {
    const chunker = make({ deadline: { baseMs: 1500, perKiBMs: 0 } });
    await chunker.start();
    // Nested ordered-list markers on one line: micromark's cost grows with the square of their number.
    const slow = source('slow.md', '1. '.repeat(20_000));
    const t = performance.now();
    const error = await chunker.chunk(slow, options).catch((e: unknown) => e);
    const elapsed = performance.now() - t;
    expect(error).toBeInstanceOf(ParseLimitError);
    expect(error).toMatchObject({ limit: 'time', file: 'slow.md' });
    expect((error as Error).message).toMatch(/^parsing it took longer than 1\.5 s, so it was stopped; .*split or simplify it$/);
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    // Unstopped, this parse runs for minutes; the margin is for a loaded CI machine (2.6 s seen at load 8 on 2 cores).
    expect(elapsed).toBeLessThan(1500 + 4500);
    expect((await chunker.chunk(real, options)).length).toBeGreaterThan(10);
  }, 60_000);

  it('turns a stack overflow in the parser into a ParseLimitError, and keeps going', async () => {
    const chunker = make({ stackMb: 1 });
    const error = await chunker.chunk(source('deep.md', '> '.repeat(12_800)), options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParseLimitError);
    expect(error).toMatchObject({ limit: 'depth', message: expect.stringMatching(/nested too deeply/) });
    expect((await chunker.chunk(real, options)).length).toBeGreaterThan(10);
  }, 60_000);

  it('passes the documented parse errors through as their own classes', async () => {
    const chunker = make();
    await expect(chunker.chunk(source('bad.json', '[{"text": 1}]'), options)).rejects.toBeInstanceOf(JsonRecordsError);
    await expect(chunker.chunk(source('bad.md', '---\ntitle: [unclosed\n---\n# Heading\n'), options)).rejects.toBeInstanceOf(FrontmatterError);
    await expect(chunker.chunk(source('big.md', `---\n${'key: value\n'.repeat(7000)}---\n# H\n`), options)).rejects.toThrow(/front matter is longer than 64 KiB/);
  }, 60_000);
});
