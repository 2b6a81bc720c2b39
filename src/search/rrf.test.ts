import { describe, expect, it } from 'vitest';
import { reciprocalRankFusion } from './rrf.js';

describe('reciprocalRankFusion', () => {
  it('sums weight / (k + rank) over lists', () => {
    const fused = reciprocalRankFusion(
      [
        { name: 'bm25', weight: 1, items: [{ id: 'a', score: 9 }, { id: 'b', score: 5 }] },
        { name: 'dense', weight: 2, items: [{ id: 'b', score: 0.9 }, { id: 'c', score: 0.8 }] },
      ],
      60,
    );
    expect(fused.map((f) => f.id)).toEqual(['b', 'c', 'a']);
    expect(fused[0]?.fused).toBeCloseTo(1 / 62 + 2 / 61, 12);
    expect(fused[0]?.scores).toEqual({ bm25: 5, dense: 0.9 });
  });
  it('keeps the best score of lists with the same name', () => {
    const fused = reciprocalRankFusion(
      [
        { name: 'dense', weight: 1, items: [{ id: 'a', score: 0.5 }] },
        { name: 'dense', weight: 1, items: [{ id: 'a', score: 0.7 }] },
      ],
      10,
    );
    expect(fused[0]?.scores['dense']).toBe(0.7);
    expect(fused[0]?.fused).toBeCloseTo(2 / 11, 12);
  });
  it('returns nothing for empty lists', () => {
    expect(reciprocalRankFusion([], 60)).toEqual([]);
  });
});
