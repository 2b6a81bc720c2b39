import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QbankError } from '../errors.js';
import { EmbeddingCache } from './cache.js';

const dir = mkdtempSync(join(tmpdir(), 'qbank-embedding-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('EmbeddingCache', () => {
  const v = (...xs: number[]) => Float32Array.from(xs);

  it('returns what was put, exactly, for the texts it holds', () => {
    const cache = new EmbeddingCache(':memory:');
    const odd = v(0.1, -1e-30, 3.4e38, Number.MIN_VALUE);
    cache.putMany('e1', [['alpha', odd], ['', v(1, 2, 3, 4)], ['日本語 🚀', v(5, 6, 7, 8)]]);
    const got = cache.getMany('e1', ['alpha', 'missing', '', '日本語 🚀', 'alpha']);
    expect([...got.keys()]).toEqual(['alpha', '', '日本語 🚀']);
    expect(got.get('alpha')).toEqual(odd);
    expect(got.get('')).toEqual(v(1, 2, 3, 4));
    expect(cache.count('e1')).toBe(3);
    cache.close();
  });

  it('keeps embedders apart and replaces a text put again', () => {
    const cache = new EmbeddingCache(':memory:');
    cache.putMany('e1', new Map([['t', v(1, 1)]]));
    cache.putMany('e2', [['t', v(2, 2)]]);
    cache.putMany('e1', [['t', v(3, 3)]]);
    expect(cache.getMany('e1', ['t']).get('t')).toEqual(v(3, 3));
    expect(cache.getMany('e2', ['t']).get('t')).toEqual(v(2, 2));
    expect(cache.getMany('e3', ['t']).size).toBe(0);
    cache.close();
  });

  it('hands out copies', () => {
    const cache = new EmbeddingCache(':memory:');
    const stored = v(1, 2);
    cache.putMany('e', [['t', stored]]);
    stored[0] = 99;
    const first = cache.getMany('e', ['t']).get('t');
    if (first !== undefined) first[1] = 99;
    expect(cache.getMany('e', ['t']).get('t')).toEqual(v(1, 2));
    cache.close();
  });

  it('stores a view of a larger buffer correctly', () => {
    const cache = new EmbeddingCache(':memory:');
    const big = v(9, 1, 2, 9);
    cache.putMany('e', [['t', big.subarray(1, 3)]]);
    expect(cache.getMany('e', ['t']).get('t')).toEqual(v(1, 2));
    cache.close();
  });

  it('persists across opens, in a new directory', () => {
    const path = join(dir, 'sub', 'cache.sqlite');
    const a = new EmbeddingCache(path);
    a.putMany('e', [['t', v(1, 2, 3)]]);
    a.close();
    const b = new EmbeddingCache(path);
    expect(b.getMany('e', ['t']).get('t')).toEqual(v(1, 2, 3));
    b.close();
  });

  it('reports a corrupt file with the path and the fix', () => {
    const path = join(dir, 'garbage.sqlite');
    writeFileSync(path, Buffer.alloc(4096, 0x5a));
    let error: unknown;
    try {
      new EmbeddingCache(path);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(QbankError);
    expect(error).toMatchObject({ code: 'cache_unavailable' });
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toContain('Delete the file');
  });
});
