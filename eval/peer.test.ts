import { describe, expect, it } from 'vitest';
import { codebaseRecords, docsAverages, docsQuestionMetrics, parsePythonPairs, passAtK, PUBLISHED_DOCS, rankedRecords } from './peer.js';

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

describe('what a search returned, as the benchmarks count it', () => {
  it('lists records best first, folded near-duplicates in their own places, parts once, cut at k', () => {
    const results = [{ id: 'f.json#a~p0', duplicates: ['f.json#a~p1', 'f.json#b'] }, { id: 'f.json#https://x/p#s' }, { id: 'f.json#c' }];
    expect(rankedRecords(results, 10)).toEqual(['a', 'b', 'https://x/p#s', 'c']);
    expect(rankedRecords(results, 2)).toEqual(['a', 'b']);
  });
});

describe('codebase records', () => {
  it('carry their enclosing scopes as section (top-level code: what the file declares) and leave out empty chunks', () => {
    const content = 'class A:\n    def f(self):\n        return 1\n\n    def g(self):\n        return 2\n';
    const cut = content.indexOf('    def g');
    const records = codebaseRecords([{ original_uuid: 'u', content, chunks: [{ chunk_id: 'c0', original_index: 0, content: content.slice(0, cut) }, { chunk_id: 'c1', original_index: 1, content: content.slice(cut) }, { chunk_id: 'c2', original_index: 2, content: ' ' }] }]);
    expect(records).toEqual([
      { id: 'u:0', text: content.slice(0, cut), section: ['A'] },
      { id: 'u:1', text: content.slice(cut), section: ['class A'] },
    ]);
  });
});
