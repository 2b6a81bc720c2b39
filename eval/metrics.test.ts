import { describe, expect, it } from 'vitest';
import { abstention } from './metrics-abstain.js';
import { hitAtK, mean, mrrAtK, ndcgAtK, precisionAtK, recallAtK } from './metrics.js';

const facets = [new Set(['a', 'a2']), new Set(['b'])];
const retrieved = [['x'], ['a2'], ['y'], ['b', 'z']];

describe('retrieval metrics over facets', () => {
  it('Hit@k, Recall@k, Precision@k and MRR@k', () => {
    expect([hitAtK(retrieved, facets, 1), hitAtK(retrieved, facets, 2)]).toEqual([0, 1]);
    expect([recallAtK(retrieved, facets, 2), recallAtK(retrieved, facets, 4)]).toEqual([0.5, 1]);
    expect(precisionAtK(retrieved, facets, 4)).toBe(0.5);
    expect(precisionAtK(retrieved.slice(0, 2), facets, 4)).toBe(0.25);
    expect([mrrAtK(retrieved, facets, 1), mrrAtK(retrieved, facets, 10)]).toEqual([0, 0.5]);
  });
  it('nDCG@k gains once per facet and normalises by the ideal ranking', () => {
    const dcg = 1 / Math.log2(3) + 1 / Math.log2(5);
    const idcg = 1 + 1 / Math.log2(3);
    expect(ndcgAtK(retrieved, facets, 10)).toBeCloseTo(dcg / idcg, 12);
    expect(ndcgAtK([['a'], ['a2']], facets, 10)).toBeCloseTo(1 / idcg, 12);
    expect(ndcgAtK(retrieved, [], 10)).toBe(0);
  });
  it('mean of nothing is 0', () => expect(mean([])).toBe(0));
});

describe('abstention', () => {
  it('precision and recall on unanswerable items, false-abstain rate on answerable ones', () => {
    const r = abstention([
      { answerable: false, abstained: true },
      { answerable: false, abstained: false },
      { answerable: true, abstained: true },
      { answerable: true, abstained: false },
      { answerable: true, abstained: false },
      { answerable: true, abstained: false },
    ]);
    expect(r).toMatchObject({ precision: 0.5, recall: 0.5, falseAbstainRate: 0.25, unanswerable: 2, answerable: 4 });
    expect(abstention([{ answerable: true, abstained: false }]).precision).toBeNaN();
  });
});
