import { describe, expect, it } from 'vitest';
import { docsAverages, docsQuestionMetrics, parsePythonPairs, passAtK, PUBLISHED_DOCS } from './peer.js';

describe('anthropic-docs metrics (cookbook definitions, k = 3)', () => {
  it('per question: precision and recall over the retrieved links, MRR of the first correct one', () => {
    expect(docsQuestionMetrics(['a', 'b', 'c'], ['b', 'x'])).toEqual({ precision: 1 / 3, recall: 0.5, mrr: 0.5 });
    expect(docsQuestionMetrics(['a'], ['x'])).toEqual({ precision: 0, recall: 0, mrr: 0 });
  });
  it('F1 comes from the averaged precision and recall, which reproduces the published rows', () => {
    for (const p of PUBLISHED_DOCS) {
      const pr = p.metrics['precision@3'];
      const rc = p.metrics['recall@3'];
      expect((2 * pr * rc) / (pr + rc)).toBeCloseTo(p.metrics.F1, 2);
    }
    const avg = docsAverages([
      { precision: 1, recall: 0.5, mrr: 1 },
      { precision: 0, recall: 0, mrr: 0 },
    ]);
    expect(avg).toEqual({ 'precision@3': 0.5, 'recall@3': 0.25, F1: (2 * 0.5 * 0.25) / 0.75, 'MRR@3': 0.5 });
  });
});

describe('anthropic-codebase metrics', () => {
  it('Pass@k is the share of golden chunk contents in the top k', () => {
    expect(passAtK(['x', ' a ', 'b', 'c'], ['a', 'c'], 2)).toBe(0.5);
    expect(passAtK(['x', 'a', 'b', 'c'], ['a', 'c'], 4)).toBe(1);
    expect(passAtK(['x'], [], 5)).toBe(0);
  });
  it('reads golden_chunk_uuids as a list or as its Python literal', () => {
    expect(parsePythonPairs([['u', 1]])).toEqual([['u', 1]]);
    expect(parsePythonPairs("[['5e4c01', 0], ['ab12', 3]]")).toEqual([
      ['5e4c01', 0],
      ['ab12', 3],
    ]);
  });
});
