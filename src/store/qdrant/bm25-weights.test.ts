import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bm25Reference } from '../bm25-reference.js';
import { documentLength, idf, saturation, sparseVector, termFrequencies, termFromKey, termIndex, termKey } from './bm25-weights.js';

describe('bm25 weights', () => {
  it('scores like the reference BM25 when tf and idf are combined', () => {
    const term = fc.constantFrom<string>('alpha', 'beta', 'gamma', 'gpt-4', 'c++', '');
    fc.assert(
      fc.property(fc.array(fc.array(term, { maxLength: 8 }), { minLength: 1, maxLength: 12 }), fc.array(term, { minLength: 1, maxLength: 4 }), (docs, query) => {
        const corpus = docs.map((terms, i) => ({ id: `d${i}`, terms: terms.filter((t) => t !== '') }));
        const n = corpus.length;
        const avgdl = corpus.reduce((s, d) => s + documentLength(d.terms), 0) / n;
        const df = (t: string) => corpus.filter((d) => d.terms.includes(t)).length;
        const want = bm25Reference(corpus, query);
        for (const d of corpus) {
          const tf = termFrequencies(d.terms);
          let got = 0;
          for (const t of query) {
            const f = tf.get(t);
            if (f !== undefined) got += idf(n, df(t)) * saturation(f, documentLength(d.terms), avgdl);
          }
          expect(Math.abs(got - (want.get(d.id) ?? 0))).toBeLessThan(1e-12);
        }
      }),
    );
  });

  it('skips empty terms and floors idf like FTS5', () => {
    expect(termFrequencies(['a', '', 'a', 'b'])).toEqual(new Map([['a', 2], ['b', 1]]));
    expect(documentLength(['a', '', 'b'])).toBe(2);
    expect(idf(10, 5)).toBe(1e-6);
    expect(idf(10, 1)).toBeCloseTo(Math.log(9.5 / 1.5), 12);
    expect(saturation(3, 0, 0)).toBeCloseTo((3 * 2.2) / (3 + 1.2), 12);
  });

  it('maps terms to stable 32-bit indices and reversible payload keys', () => {
    expect(termIndex('')).toBe(0x811c9dc5);
    expect(termIndex('a')).toBe(0xe40c292c);
    expect(termIndex('foobar')).toBe(0xbf9cf968);
    for (const t of ['gpt-4', 'c++', '"', 'a.b', 'naïve', '🚀', 'NEAR(a b)']) {
      expect(termKey(t)).toMatch(/^t[0-9a-f]+$/);
      expect(termFromKey(termKey(t))).toBe(t);
      expect(termIndex(t)).toBeGreaterThanOrEqual(0);
      expect(termIndex(t)).toBeLessThan(2 ** 32);
    }
  });

  it('sums the weights of terms that share an index', () => {
    const v = sparseVector([['x', 1], ['y', 2], ['x', 0.5]]);
    expect(v.indices).toEqual([...v.indices].sort((a, b) => a - b));
    expect(v.values[v.indices.indexOf(termIndex('x'))]).toBe(1.5);
    expect(v.values.reduce((a, b) => a + b, 0)).toBe(3.5);
  });
});
