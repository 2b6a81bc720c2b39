import { describe, expect, it } from 'vitest';
import { averagePrecisionOfVerdicts, contextPrecisionAtK, idBasedContextPrecision, idBasedContextRecall, nonLlmContextPrecision, nonLlmContextRecall } from './metrics-context.js';

describe('context precision (RAGAS average precision)', () => {
  it('weights each relevant rank by the precision at that rank', () => {
    // RAGAS docs: relevant at ranks 1 and 3 of 3 → (1/1 + 2/3) / 2.
    expect(averagePrecisionOfVerdicts([1, 0, 1])).toBeCloseTo((1 + 2 / 3) / 2, 9);
    expect(averagePrecisionOfVerdicts([0, 1])).toBeCloseTo(0.5, 9);
    expect(averagePrecisionOfVerdicts([0, 0, 0])).toBe(0);
  });
  it('over facets: a result is relevant when it satisfies any facet', () => {
    const facets = [new Set(['a', 'a2']), new Set(['b'])];
    expect(contextPrecisionAtK([['x'], ['a2'], ['y', 'b']], facets, 3)).toBeCloseTo((1 / 2 + 2 / 3) / 2, 9);
    expect(contextPrecisionAtK([['x'], ['a2'], ['y', 'b']], facets, 1)).toBe(0);
  });
});

describe('ID-based context metrics', () => {
  it('match RAGAS documentation examples', () => {
    expect(idBasedContextRecall(['doc1', 'doc2', 'doc3'], ['doc1', 'doc2', 'doc4'])).toBeCloseTo(2 / 3, 12);
    expect(idBasedContextPrecision(['doc1', 'doc2', 'doc3'], ['doc1', 'doc2', 'doc4'])).toBeCloseTo(2 / 3, 12);
  });
  it('is NaN without the denominator', () => {
    expect(idBasedContextRecall(['a'], [])).toBeNaN();
    expect(idBasedContextPrecision([], ['a'])).toBeNaN();
  });
});

describe('non-LLM context metrics (Levenshtein, threshold 0.5)', () => {
  it('recall counts a reference as found only above the threshold', () => {
    expect(nonLlmContextRecall(['The Eiffel Tower is located in India.'], ['The Eiffel Tower is located in Paris.', 'Completely unrelated words here'])).toBe(0.5);
    // Similarity exactly 0.5 is not above the threshold for recall…
    expect(nonLlmContextRecall(['abcd'], ['abxy'])).toBe(0);
    // …but counts for precision (RAGAS uses >= there).
    expect(nonLlmContextPrecision(['abcd'], ['abxy'])).toBeCloseTo(1, 9);
  });
});
