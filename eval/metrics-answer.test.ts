import { describe, expect, it } from 'vitest';
import { answerCorrectnessNonLlm, answerRelevancyNonLlm, answerStatements, citationValidity, faithfulnessNonLlm, statementF1, termCoverage } from './metrics-answer.js';
import { BagEmbedder } from './testing/bag-embedder.js';

const embedder = new BagEmbedder();

describe('answerStatements', () => {
  it('splits sentences and keeps their citation markers', () => {
    expect(answerStatements('KV caches store keys and values [1]. They grow with sequence length [2, 3].')).toEqual([
      { text: 'KV caches store keys and values', cites: [1] },
      { text: 'They grow with sequence length', cites: [2, 3] },
    ]);
    // Extractive style: the marker follows the sentence's full stop.
    expect(answerStatements('Attention is a weighted sum. [1] Scaling keeps variance constant. [2]')).toEqual([
      { text: 'Attention is a weighted sum.', cites: [1] },
      { text: 'Scaling keeps variance constant.', cites: [2] },
    ]);
    // LLM style: one marker group covers the sentences before it.
    expect(answerStatements('It is cheap. It is fast [1][2].').map((s) => s.cites)).toEqual([[1, 2], [1, 2]]);
    expect(answerStatements('')).toEqual([]);
  });
});

describe('faithfulness (no judge)', () => {
  const quotes = new Map([[1, 'The KV cache stores key and value tensors of previous tokens so they are not recomputed.']]);
  it('counts statements supported by their cited quote', async () => {
    const r = await faithfulnessNonLlm(embedder, 'The KV cache stores key and value tensors of previous tokens [1]. Bananas are a rich source of potassium [1].', { quotes, contexts: [] });
    expect(r.statements.map((s) => s.supported)).toEqual([true, false]);
    expect(r.score).toBe(0.5);
  });
  it('checks uncited statements against every retrieved context, and is NaN for an empty answer', async () => {
    const r = await faithfulnessNonLlm(embedder, 'Previous tokens are not recomputed thanks to the cache.', { quotes: new Map(), contexts: [quotes.get(1) ?? ''] });
    expect(r.score).toBe(1);
    expect((await faithfulnessNonLlm(embedder, '', { quotes, contexts: [] })).score).toBeNaN();
  });
});

describe('answer relevancy and correctness (no judge)', () => {
  it('relevancy is the cosine of question and answer', async () => {
    const on = await answerRelevancyNonLlm(embedder, 'what does the kv cache store', 'The kv cache store keeps keys and values.');
    const off = await answerRelevancyNonLlm(embedder, 'what does the kv cache store', 'Bananas grow in tropical climates.');
    expect(on).toBeGreaterThan(off);
    expect(await answerRelevancyNonLlm(embedder, 'q', '')).toBe(0);
  });
  it('statement F1 follows RAGAS conventions', () => {
    expect(statementF1(1, 1, 5)).toBeCloseTo(2 * (0.5 * (1 / 6)) / (0.5 + 1 / 6), 12);
    expect(statementF1(0, 0, 0)).toBe(1);
    expect(statementF1(0, 2, 0)).toBe(0);
  });
  it('correctness is 0.75 × F1 + 0.25 × similarity', async () => {
    const reference = 'The boiling point of water is 100 degrees Celsius at sea level. The boiling point of water can change with altitude.';
    const r = await answerCorrectnessNonLlm(embedder, 'The boiling point of water is 100 degrees Celsius at sea level.', reference);
    expect([r.tp, r.fp, r.fn]).toEqual([1, 0, 1]);
    expect(r.f1).toBeCloseTo(2 / 3, 12);
    expect(r.score).toBeCloseTo(0.75 * r.f1 + 0.25 * r.similarity, 12);
  });
  it('term coverage ignores stopwords and stems', () => {
    expect(termCoverage('caches are growing', 'the cache grows')).toBe(1);
    expect(termCoverage('the of and', 'x')).toBe(1);
  });
});

describe('citation validity', () => {
  const files: Record<string, string> = { 'a.txt': 'Attention computes a weighted sum of values.' };
  it('accepts only quotes verbatim at their offsets', () => {
    const good = { quote: 'weighted sum', source: { file: 'a.txt', start: 0, end: 44 } };
    const moved = { quote: 'weighted sum', source: { file: 'a.txt', start: 30, end: 44 } };
    const invented = { quote: 'weighted mean', source: { file: 'a.txt', start: 0, end: 44 } };
    const missing = { quote: 'x', source: { file: 'b.txt', start: 0, end: 1 } };
    expect(citationValidity([good, moved, invented, missing], (f) => files[f])).toBe(0.25);
    expect(citationValidity([], (f) => files[f])).toBeNaN();
  });
});
