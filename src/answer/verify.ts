import type { Citation } from '../ports/answerer.js';
import type { Embedder } from '../ports/embedder.js';
import { analyze, words, type AnalyzerLanguage } from '../lang/analyzer.js';
import { dot } from '../util/dot.js';

/**
 * How a claim's support is judged. `score = lexicalWeight · lexical + (1 − lexicalWeight) · max(0, cosine)`.
 *
 * Set by hand from a dozen claims scored against sentences of the bank with all-MiniLM-L6-v2 q4:
 * faithful paraphrases, including one merging two sentences, scored 0.55–0.86; claims on the
 * topic with a wrong detail 0.21–0.42; an unrelated claim 0.16 or less. Not yet measured by the
 * eval harness. Neither signal sees negation ("with" for "without" scores like the original).
 *
 * @example
 * supportVerdict(await supportScore(claim, quote, embedder), { ...SUPPORT_THRESHOLDS, verified: 0.6 })
 */
export interface SupportThresholds {
  /** Weight of lexical support against embedding cosine. 0–1, default 0.5. */
  lexicalWeight: number;
  /** A score at or above this, with every number of the claim in the quote, is supported. 0–1, default 0.5. */
  verified: number;
  /** Below this the citation is dropped rather than kept unverified. 0–`verified`, default 0.2. */
  drop: number;
}

export const SUPPORT_THRESHOLDS: SupportThresholds = { lexicalWeight: 0.5, verified: 0.5, drop: 0.2 };

/** How well a quote supports a claim. */
export interface Support {
  /** Share of the claim's content terms (analysed: stemmed, stopwords removed) found in the quote. 0–1. */
  lexical: number;
  /** Cosine similarity of the two texts' embeddings. −1–1. */
  semantic: number;
  /** The weighted combination the thresholds apply to. 0–1. */
  score: number;
  /** Numbers of the claim ("70b", "2017", "4") the quote does not contain: a classic invented detail. */
  missingNumbers: string[];
}

export type SupportVerdict = 'supported' | 'weak' | 'unsupported';

/**
 * Whether a citation's quote is verbatim in the file: an exact, non-empty substring of
 * `fileText.slice(source.start, source.end)`, with offsets inside the file.
 */
export function verifyQuote(fileText: string, citation: Pick<Citation, 'quote' | 'source'>): boolean {
  const { start, end } = citation.source;
  if (citation.quote.length === 0 || !Number.isInteger(start) || !Number.isInteger(end)) return false;
  if (start < 0 || end > fileText.length || start >= end) return false;
  return fileText.slice(start, end).includes(citation.quote);
}

/** Lexical half of the support: the claim's content terms found in the quote, and its numbers missing from it. */
export function lexicalSupport(claim: string, quote: string, lang: AnalyzerLanguage = 'en'): Pick<Support, 'lexical' | 'missingNumbers'> {
  const claimTerms = new Set(analyze(claim, lang));
  const quoteTerms = new Set(analyze(quote, lang));
  let found = 0;
  for (const t of claimTerms) if (quoteTerms.has(t)) found += 1;
  const quoteWords = new Set(words(quote).flatMap((w) => [w, ...w.split(/[-/]/)]));
  const missingNumbers = [...new Set(words(claim).filter((w) => /\d/.test(w)))].filter((n) => !quoteWords.has(n));
  return { lexical: claimTerms.size === 0 ? 0 : found / claimTerms.size, missingNumbers };
}

/** Combines the lexical share and the embedding cosine into one score. */
export function combineSupport(lexical: Pick<Support, 'lexical' | 'missingNumbers'>, cosine: number, t: SupportThresholds = SUPPORT_THRESHOLDS): Support {
  const score = t.lexicalWeight * lexical.lexical + (1 - t.lexicalWeight) * Math.max(0, cosine);
  return { lexical: lexical.lexical, semantic: cosine, score, missingNumbers: lexical.missingNumbers };
}

/**
 * How well `quote` supports `claim`: lexical support plus the cosine of their embeddings with
 * the same embedder the bank was indexed with. To score many pairs, embed once and use
 * `lexicalSupport` + `combineSupport` (as `LlmAnswerer` does).
 *
 * @example
 * const s = await supportScore('GQA shares key/value heads across query groups.', quote, embedder);
 * isSupported(s) // true when s.score >= 0.5 and no number of the claim is missing from the quote
 */
export async function supportScore(claim: string, quote: string, embedder: Embedder, options: { lang?: AnalyzerLanguage; thresholds?: SupportThresholds } = {}): Promise<Support> {
  const [a, b] = await embedder.embed([claim, quote], 'passage');
  const cosine = a && b ? dot(a, b) : 0;
  return combineSupport(lexicalSupport(claim, quote, options.lang ?? 'en'), cosine, options.thresholds);
}

/** Supported: the score reaches `verified` and the quote contains every number of the claim. */
export function isSupported(s: Support, t: SupportThresholds = SUPPORT_THRESHOLDS): boolean {
  return s.score >= t.verified && s.missingNumbers.length === 0;
}

/** `supported` (keep, verified), `weak` (keep, `verified: false`) or `unsupported` (drop the citation). */
export function supportVerdict(s: Support, t: SupportThresholds = SUPPORT_THRESHOLDS): SupportVerdict {
  if (isSupported(s, t)) return 'supported';
  return s.score < t.drop ? 'unsupported' : 'weak';
}
