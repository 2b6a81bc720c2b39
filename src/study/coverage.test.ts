import { describe, expect, it } from 'vitest';
import { HashEmbedder } from '../../test/support/hash-embedder.js';
import { dot } from '../util/dot.js';
import { answerUnits, coverageOf, DEFAULT_GRADING, fBeta, gradeAgainstPoints, ramp, withoutDirection } from './coverage.js';
import type { KeyPointSource } from './key-points.js';

const point = (index: number, text: string): KeyPointSource => ({ index, chunkId: 'c', start: index * 100, end: index * 100 + text.length, quote: text, text, sentences: [text] });

const QUESTION = 'What is the KV cache and why is it critical for LLM inference?';
const POINTS = [
  point(0, 'The KV cache stores the key and value tensors from all previous tokens so they do not need to be recomputed.'),
  point(1, 'At each step, only the new token key and value projections are computed and appended to the cache.'),
  point(2, 'KV cache memory is often the bottleneck in serving long contexts, more than the model weights.'),
  point(3, 'Grouped-query attention and paged attention reduce the memory the cache needs.'),
];

describe('offline grading helpers', () => {
  it('ramp, coverage and F-beta', () => {
    expect(ramp(0.2, 0.3, 0.6)).toBe(0);
    expect(ramp(0.45, 0.3, 0.6)).toBeCloseTo(0.5);
    expect(ramp(0.9, 0.3, 0.6)).toBe(1);
    expect(coverageOf([1, 1, 0, 0], { fullMarksShare: 0.5 })).toBe(1);
    expect(coverageOf([1, 0, 0, 0], { fullMarksShare: 0.5 })).toBe(0.5);
    expect(coverageOf([], { fullMarksShare: 0.7 })).toBe(0);
    expect(fBeta(1, 1, 0.75)).toBeCloseTo(1);
    expect(fBeta(0, 0, 0.75)).toBe(0);
    // beta < 1 weighs precision more: high precision, low recall beats the reverse.
    expect(fBeta(0.9, 0.3, 0.5)).toBeGreaterThan(fBeta(0.3, 0.9, 0.5));
  });

  it('removes a direction and renormalises', () => {
    const d = new Float32Array([1, 0, 0]);
    const v = new Float32Array([0.6, 0.8, 0]);
    const r = withoutDirection(v, d);
    expect(dot(r, d)).toBeCloseTo(0);
    expect(dot(r, r)).toBeCloseTo(1);
    expect(Array.from(r)).toEqual([0, 1, 0]);
  });

  it('cuts an answer into sentences and adjacent pairs', () => {
    expect(answerUnits('It caches keys. It saves compute.\n- And memory')).toEqual(['It caches keys.', 'It saves compute.', 'And memory', 'It caches keys. It saves compute.', 'It saves compute. And memory']);
    expect(answerUnits('  ')).toEqual([]);
  });
});

describe('gradeAgainstPoints', () => {
  const embedder = new HashEmbedder();

  it('gives the model answer itself full marks and names the matching words', async () => {
    const g = await gradeAgainstPoints(POINTS, QUESTION, POINTS.map((p) => p.text).join(' '), embedder);
    expect(g.score).toBeGreaterThan(0.9);
    expect(g.points.every((p) => p.covered)).toBe(true);
    expect(g.points[0]?.matched).toContain('previous tokens');
  });

  it('scores an answer that makes some points between nothing and full marks, and covers those points', async () => {
    const partial = 'The KV cache stores the key and value tensors of previous tokens so they need not be recomputed.';
    const g = await gradeAgainstPoints(POINTS, QUESTION, partial, embedder);
    expect(g.points[0]?.covered).toBe(true);
    expect(g.points[3]?.covered).toBe(false);
    expect(g.score).toBeGreaterThan(0.2);
    expect(g.score).toBeLessThan(0.9);
  });

  it('gives an unrelated answer nothing', async () => {
    const g = await gradeAgainstPoints(POINTS, QUESTION, 'Bake the cake at 180 degrees for forty minutes, then let it cool on a rack.', embedder);
    expect(g.score).toBe(0);
    expect(g.points.some((p) => p.covered)).toBe(false);
  });

  it('gives nothing for no key points', async () => {
    expect(await gradeAgainstPoints([], QUESTION, 'anything', embedder)).toEqual({ points: [], coverage: 0, precision: 0, score: 0 });
  });

  it('documents every default inside its range', () => {
    const t = DEFAULT_GRADING;
    expect(t.zeroCredit).toBeLessThan(t.fullCredit);
    expect(t.precisionZero).toBeLessThan(t.precisionFull);
    for (const v of [t.lexicalWeight, t.covered, t.fullMarksShare, t.precisionLexicalWeight]) expect(v).toBeGreaterThanOrEqual(0);
  });
});
