import { describe, expect, it } from 'vitest';
import type { Chunk } from '../../ports/chunk.js';
import { BodyCache } from './body-cache.js';

const chunk = (id: string): Chunk => ({
  id, file: 'a.txt', start: 0, end: 1, text: id, embedText: id, section: ['S'], lang: 'en', kind: 'qa', footnotes: [{ id: '1', url: 'https://x' }], part: { index: 1, count: 2 },
});

describe('BodyCache', () => {
  it('serves an entry only under the epoch it was read in', () => {
    const cache = new BodyCache<object>(10);
    const [now, later] = [{}, {}];
    cache.put('c1', now, { chunk: chunk('c1'), vector: Float32Array.of(1, 2) });
    expect(cache.chunk('c1', now)).toEqual(chunk('c1'));
    expect(cache.vector('c1', now)).toEqual(Float32Array.of(1, 2));
    expect(cache.chunk('c1', later)).toBeUndefined();
    expect(cache.vector('c1', later)).toBeUndefined();
  });

  it('merges a chunk and a vector read apart in one epoch, and forgets both for a new one', () => {
    const cache = new BodyCache<object>(10);
    const [e1, e2] = [{}, {}];
    cache.put('c1', e1, { chunk: chunk('c1') });
    cache.put('c1', e1, { vector: Float32Array.of(3) });
    expect([cache.chunk('c1', e1)?.id, cache.vector('c1', e1)]).toEqual(['c1', Float32Array.of(3)]);
    cache.put('c1', e2, { vector: Float32Array.of(4) });
    expect([cache.chunk('c1', e2), cache.vector('c1', e2)]).toEqual([undefined, Float32Array.of(4)]);
  });

  it('keeps the most recently used entries, and none when its size is 0', () => {
    const cache = new BodyCache<object>(2);
    const e = {};
    for (const id of ['a', 'b']) cache.put(id, e, { chunk: chunk(id) });
    cache.chunk('a', e);
    cache.put('c', e, { chunk: chunk('c') });
    expect(['a', 'b', 'c'].map((id) => cache.chunk(id, e)?.id)).toEqual(['a', undefined, 'c']);
    expect(cache.size).toBe(2);
    const none = new BodyCache<object>(0);
    none.put('a', e, { chunk: chunk('a') });
    expect(none.size).toBe(0);
  });

  it('hands out copies, so changing what it returned or was given changes nothing it holds', () => {
    const cache = new BodyCache<object>(10);
    const e = {};
    const given = chunk('c1');
    const vector = Float32Array.of(1);
    cache.put('c1', e, { chunk: given, vector });
    given.section.push('changed');
    vector[0] = 9;
    const got = cache.chunk('c1', e) as Chunk;
    got.section.push('changed');
    (got.footnotes[0] as { url: string }).url = 'changed';
    (got.part as { index: number }).index = 9;
    (cache.vector('c1', e) as Float32Array)[0] = 9;
    expect(cache.chunk('c1', e)).toEqual(chunk('c1'));
    expect(cache.vector('c1', e)).toEqual(Float32Array.of(1));
  });
});
