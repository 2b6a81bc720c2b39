import { describe, expect, it } from 'vitest';
import { HashEmbedder } from '../../test/support/hash-embedder.js';
import { combineSupport, isSupported, lexicalSupport, SUPPORT_THRESHOLDS, supportScore, supportVerdict, verifyQuote, type Support } from './verify.js';

const file = 'Intro line.\nThe KV cache stores keys and values of earlier tokens, so decoding does not recompute them.\nEnd.';
const start = file.indexOf('The KV');
const end = file.indexOf('\nEnd.');

describe('verifyQuote', () => {
  const cite = (quote: string, s = start, e = end) => ({ quote, source: { file: 'f.txt', start: s, end: e, section: [] } });
  it('accepts a quote that is an exact substring of the cited span', () => {
    expect(verifyQuote(file, cite(file.slice(start, end)))).toBe(true);
    expect(verifyQuote(file, cite('stores keys and values'))).toBe(true);
  });
  it('refuses a changed, empty or out-of-span quote, and offsets outside the file', () => {
    expect(verifyQuote(file, cite('stores the keys and values'))).toBe(false);
    expect(verifyQuote(file, cite(''))).toBe(false);
    expect(verifyQuote(file, cite('Intro line.'))).toBe(false);
    expect(verifyQuote(file, cite('End.', start, file.length + 5))).toBe(false);
    expect(verifyQuote(file, cite('The', end, start))).toBe(false);
  });
});

describe('lexicalSupport', () => {
  it('is the share of the claim’s content terms found in the quote', () => {
    expect(lexicalSupport('The KV cache stores keys.', 'The KV cache stores keys and values.').lexical).toBe(1);
    // kv, cach, store | compress, weight: 3 of 5
    expect(lexicalSupport('The KV cache stores compressed weights.', 'The KV cache stores keys and values.').lexical).toBeCloseTo(3 / 5);
    expect(lexicalSupport('Paris has museums.', 'The KV cache stores keys.').lexical).toBe(0);
    expect(lexicalSupport('It is.', 'anything').lexical).toBe(0);
  });
  it('lists numbers of the claim that the quote does not contain', () => {
    expect(lexicalSupport('Llama 3 uses GQA with 8 KV heads since 2024.', 'Llama 3 uses GQA with 8 KV heads.').missingNumbers).toEqual(['2024']);
    expect(lexicalSupport('A 70B model in 4-bit.', 'A 70b model quantized to 4-bit.').missingNumbers).toEqual([]);
  });
});

describe('supportScore and the verdict', () => {
  const embedder = new HashEmbedder();
  it('scores a restated claim as supported and an unrelated one as unsupported', async () => {
    const quote = file.slice(start, end);
    const same = await supportScore('The KV cache stores keys and values of earlier tokens.', quote, embedder);
    expect(same.lexical).toBe(1);
    expect(same.score).toBeGreaterThan(0.8);
    expect(supportVerdict(same)).toBe('supported');
    const unrelated = await supportScore('Paris is the capital of France.', quote, embedder);
    expect(unrelated.score).toBeLessThan(SUPPORT_THRESHOLDS.drop);
    expect(supportVerdict(unrelated)).toBe('unsupported');
  });

  it('applies the documented thresholds', () => {
    const s = (score: number, missingNumbers: string[] = []): Support => ({ lexical: score, semantic: score, score, missingNumbers });
    expect(supportVerdict(s(SUPPORT_THRESHOLDS.verified))).toBe('supported');
    expect(supportVerdict(s(SUPPORT_THRESHOLDS.verified - 0.01))).toBe('weak');
    expect(supportVerdict(s(SUPPORT_THRESHOLDS.drop))).toBe('weak');
    expect(supportVerdict(s(SUPPORT_THRESHOLDS.drop - 0.01))).toBe('unsupported');
    // A number the quote lacks keeps even a high score from being verified.
    expect(isSupported(s(0.9, ['2015']))).toBe(false);
    expect(supportVerdict(s(0.9, ['2015']))).toBe('weak');
  });

  it('weighs lexical support against cosine, ignoring negative cosine', () => {
    expect(combineSupport({ lexical: 1, missingNumbers: [] }, 0).score).toBe(0.5);
    expect(combineSupport({ lexical: 0, missingNumbers: [] }, -0.4).score).toBe(0);
    expect(combineSupport({ lexical: 0.5, missingNumbers: [] }, 0.5, { ...SUPPORT_THRESHOLDS, lexicalWeight: 1 }).score).toBe(0.5);
  });
});
