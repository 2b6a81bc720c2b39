import { describe, expect, it } from 'vitest';
import { bm25Reference } from './bm25-reference.js';

describe('bm25Reference', () => {
  const docs = [
    { id: 'a', terms: ['gqa', 'mqa', 'gqa'] },
    { id: 'b', terms: ['mqa'] },
    { id: 'c', terms: ['lora', 'rank', 'adapter', 'mqa'] },
  ];

  it('matches a hand-computed score', () => {
    // N=3, n(gqa)=1, avgdl=8/3, |a|=3, f=2
    const idf = Math.log((3 - 1 + 0.5) / (1 + 0.5));
    const expected = (idf * 2 * 2.2) / (2 + 1.2 * (0.25 + (0.75 * 3) / (8 / 3)));
    expect(bm25Reference(docs, ['gqa']).get('a')).toBeCloseTo(expected, 12);
    expect(bm25Reference(docs, ['gqa']).size).toBe(1);
  });

  it('floors the idf of terms in most documents', () => {
    const s = bm25Reference(docs, ['mqa']);
    expect([...s.keys()].sort()).toEqual(['a', 'b', 'c']);
    for (const v of s.values()) expect(v).toBeGreaterThan(0);
    expect(s.get('b')).toBeLessThan(1e-5);
  });

  it('counts a repeated query term twice and ignores unknown terms', () => {
    const once = bm25Reference(docs, ['lora']).get('c') ?? 0;
    expect(bm25Reference(docs, ['lora', 'lora', 'nope']).get('c')).toBeCloseTo(2 * once, 12);
  });
});
