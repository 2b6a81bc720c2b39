import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bleu, corpusBleu, levenshteinDistance, ragasBleuScore, rougeL, rougeTokens, stringSimilarity, tokenize13a } from './metrics-text.js';
import { porterStem } from './porter-stemmer.js';

// RAGAS's documented example (docs/concepts/metrics/available_metrics/traditional.md).
const reference = 'The Eiffel Tower is located in Paris.';
const response = 'The Eiffel Tower is located in India.';

describe('RAGAS golden values', () => {
  it('NonLLMStringSimilarity (Levenshtein) is 0.8918918918918919', () => {
    expect(stringSimilarity(reference, response)).toBe(0.8918918918918919);
  });
  it('BleuScore is 0.7071067811865478', () => {
    expect(ragasBleuScore(reference, response)).toBe(0.7071067811865478);
    expect(bleu(reference, response)).toBe(0.7071067811865478);
  });
  it('RougeScore (rougeL, fmeasure) is 0.8571428571428571', () => {
    expect(rougeL(reference, response).fmeasure).toBe(0.8571428571428571);
  });
});

describe('Levenshtein', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(levenshteinDistance('kitten', 'sitting')).toBe(3);
    expect(levenshteinDistance('', 'abc')).toBe(3);
    expect(levenshteinDistance('abc', 'abc')).toBe(0);
  });
  it('normalises by the longer string and treats two empty strings as equal', () => {
    expect(stringSimilarity('abcd', 'ab')).toBe(0.5);
    expect(stringSimilarity('', '')).toBe(1);
    expect(stringSimilarity('abc', '')).toBe(0);
  });
});

describe('sacreBLEU', () => {
  it('tokenizes like 13a: punctuation split off, decimals and thousands kept', () => {
    expect(tokenize13a('Hello, world. It costs 3.50 (approx.)!')).toEqual(['Hello', ',', 'world', '.', 'It', 'costs', '3.50', '(', 'approx', '.', ')', '!']);
    expect(tokenize13a('1,000 tokens; 2-3 steps')).toEqual(['1,000', 'tokens', ';', '2', '-', '3', 'steps']);
  });
  it('is 1 for an identical text and 0 with no common word', () => {
    // sacreBLEU itself returns 100.00000000000004 here: exp(log(100)).
    expect(bleu('the cat sat on the mat today', 'the cat sat on the mat today')).toBeCloseTo(1, 14);
    expect(bleu('alpha beta gamma delta', 'one two three four')).toBe(0);
  });
  it('applies the brevity penalty and exp smoothing', () => {
    // hyp 4 tokens vs ref 6: bp = exp(1 - 6/4); 4-grams: 1 of 1; precisions all 100.
    const r = corpusBleu(['the cat sat on'], [['the cat sat on the mat']]);
    expect(r.bp).toBeCloseTo(Math.exp(-0.5), 12);
    expect(r.score).toBeCloseTo(Math.exp(-0.5), 12);
    // No matching 4-gram: smoothed precision 100 / (2 * total).
    const s = corpusBleu(['a b c x'], [['a b c d']]);
    expect(s.precisions).toEqual([75, (100 * 2) / 3, 50, 50]);
  });
  it('scores only the first ". " segment of the response, as RAGAS BleuScore does', () => {
    const ref = 'Paris is the capital. It is in France.';
    expect(ragasBleuScore(ref, 'Paris is the capital. Something else entirely.')).toBe(ragasBleuScore(ref, 'Paris is the capital'));
  });
});

describe('ROUGE-L', () => {
  it('tokenizes like rouge_score: lowercase, alphanumerics only, stems words longer than 3', () => {
    expect(rougeTokens("The model's caches were LOCATED in-memory!")).toEqual(['the', 'model', 's', 'cach', 'were', 'locat', 'in', 'memori']);
  });
  it('gives precision, recall and F from the longest common subsequence', () => {
    const r = rougeL('police killed the gunman', 'police kill the gunman');
    expect(r).toEqual({ precision: 1, recall: 1, fmeasure: 1 });
    const s = rougeL('a b c d', 'a c e');
    expect(s.precision).toBeCloseTo(2 / 3, 15);
    expect(s.recall).toBe(0.5);
    expect(rougeL('', 'x').fmeasure).toBe(0);
  });
});

describe('Porter stemmer (NLTK_EXTENSIONS)', () => {
  // Generated with NLTK 3.8's PorterStemmer() over every word of the corpus plus the paper's examples.
  const golden = JSON.parse(readFileSync(new URL('./fixtures/porter-nltk.json', import.meta.url), 'utf8')) as Record<string, string>;
  it(`matches NLTK on ${Object.keys(golden).length} words`, () => {
    const wrong = Object.entries(golden).filter(([w, s]) => porterStem(w) !== s).map(([w, s]) => `${w}: ${porterStem(w)} ≠ ${s}`);
    expect(wrong).toEqual([]);
  });
});
