import type { Embedder } from '../src/ports/embedder.js';
import { analyze } from '../src/lang/analyzer.js';
import { dot } from '../src/util/dot.js';

/**
 * Answer metrics without a judge model: deterministic versions of RAGAS's faithfulness,
 * answer relevancy and answer correctness that use the embedder and term overlap where RAGAS
 * asks an LLM. Independent of the answerers' own citation verifier on purpose: the harness
 * should not grade the system with the system's own rule.
 */

/** One statement of an answer: a sentence without its citation markers, and the markers it carried. */
export interface AnswerStatement {
  text: string;
  cites: number[];
}

const MARKERS = /(?:\s*\[\d+(?:\s*,\s*\d+)*\])+/g;
const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/**
 * Splits an answer into statements. Citation markers `[n]` (or `[n, m]`, or `[1][2]`) end a
 * cited span: every sentence of the text before them, back to the previous marker, carries
 * them. Works for extractive answers ("Sentence. [1] Sentence. [2]") and LLM answers
 * ("Sentence one. Sentence two [1][2]."). Markers are removed from the statement text.
 *
 * @example
 * answerStatements('KV caches store keys [1]. They grow with length [2].')
 * // [{ text: 'KV caches store keys', cites: [1] }, { text: 'They grow with length', cites: [2] }]
 */
export function answerStatements(answer: string): AnswerStatement[] {
  const spans: { text: string; cites: number[] }[] = [];
  let last = 0;
  for (const m of answer.matchAll(MARKERS)) {
    spans.push({ text: answer.slice(last, m.index), cites: [...m[0].matchAll(/\d+/g)].map((x) => Number(x[0])) });
    last = (m.index ?? 0) + m[0].length;
  }
  spans.push({ text: answer.slice(last), cites: [] });
  const out: AnswerStatement[] = [];
  for (const span of spans) {
    const sentences = [...segmenter.segment(span.text)].map((x) => x.segment.replace(/\s+/g, ' ').trim()).filter((t) => /[\p{L}\p{N}]{2}/u.test(t));
    if (sentences.length === 0) {
      out.at(-1)?.cites.push(...span.cites);
      continue;
    }
    for (const text of sentences) out.push({ text, cites: [...span.cites] });
  }
  return out;
}

/** Share of `claim`'s content terms (stemmed, stopwords removed) found in `evidence`. 1 for a claim with no content term. */
export function termCoverage(claim: string, evidence: string): number {
  const terms = new Set(analyze(claim, 'en'));
  if (terms.size === 0) return 1;
  const have = new Set(analyze(evidence, 'en'));
  let found = 0;
  for (const t of terms) if (have.has(t)) found += 1;
  return found / terms.size;
}

/**
 * When a statement counts as supported by a text. Documented defaults, to be recalibrated
 * with the judge model where one is available (the report prints both).
 */
export const SUPPORT_RULE = {
  /** Share of the statement's content terms present in the evidence. 0–1, default 0.7. */
  minCoverage: 0.7,
  /** Cosine similarity (all-MiniLM-L6-v2) of statement and evidence sentence. 0–1, default 0.7. */
  minCosine: 0.7,
} as const;

/** Cosine of two texts' embeddings (the embedder returns unit vectors). */
async function cosines(embedder: Embedder, a: readonly string[], b: readonly string[]): Promise<number[][]> {
  if (a.length === 0 || b.length === 0) return a.map(() => []);
  const vectors = await embedder.embed([...a, ...b], 'passage');
  const va = vectors.slice(0, a.length);
  const vb = vectors.slice(a.length);
  return va.map((x) => vb.map((y) => dot(x, y)));
}

/** Sentences of a context passage, for statement-level comparison. */
export function contextSentences(text: string): string[] {
  return [...segmenter.segment(text)].map((s) => s.segment.replace(/\s+/g, ' ').trim()).filter((s) => s.length >= 12);
}

export interface FaithfulnessResult {
  /** Supported statements / all statements; NaN for an empty answer (RAGAS returns NaN too). */
  score: number;
  statements: { text: string; supported: boolean }[];
}

/**
 * Faithfulness without a judge: the share of the answer's statements supported by their
 * evidence. A cited statement is checked against its cited quotes; an uncited one against
 * every retrieved context. Supported means enough of its content terms are in the evidence, or
 * an evidence sentence is close to it by embedding (see `SUPPORT_RULE`).
 */
export async function faithfulnessNonLlm(
  embedder: Embedder,
  answer: string,
  evidence: { quotes: ReadonlyMap<number, string>; contexts: readonly string[] },
  rule: { minCoverage: number; minCosine: number } = SUPPORT_RULE,
): Promise<FaithfulnessResult> {
  const statements = answerStatements(answer);
  if (statements.length === 0) return { score: Number.NaN, statements: [] };
  const out: FaithfulnessResult['statements'] = [];
  for (const s of statements) {
    const cited = s.cites.map((n) => evidence.quotes.get(n)).filter((q): q is string => q !== undefined);
    const texts = cited.length > 0 ? cited : [...evidence.contexts];
    const joined = texts.join('\n');
    let supported = termCoverage(s.text, joined) >= rule.minCoverage;
    if (!supported) {
      const sentences = texts.flatMap(contextSentences);
      const [row] = await cosines(embedder, [s.text], sentences.length > 0 ? sentences : texts);
      supported = Math.max(-1, ...(row ?? [])) >= rule.minCosine;
    }
    out.push({ text: s.text, supported });
  }
  return { score: out.filter((s) => s.supported).length / out.length, statements: out };
}

/**
 * Answer relevancy without a judge: cosine similarity of the question's and the answer's
 * embeddings (RAGAS instead embeds questions an LLM generates from the answer). 0 for an
 * empty answer.
 */
export async function answerRelevancyNonLlm(embedder: Embedder, question: string, answer: string): Promise<number> {
  const text = answerStatements(answer).map((s) => s.text).join(' ');
  if (!text) return 0;
  const [q, a] = await embedder.embed([question, text], 'passage');
  return q && a ? dot(q, a) : 0;
}

/** Semantic similarity of answer and reference: cosine of their embeddings (RAGAS `SemanticSimilarity`). */
export async function semanticSimilarity(embedder: Embedder, answer: string, reference: string): Promise<number> {
  const text = answerStatements(answer).map((s) => s.text).join(' ');
  if (!text || !reference.trim()) return 0;
  const [a, r] = await embedder.embed([text, reference], 'passage');
  return a && r ? dot(a, r) : 0;
}

/** RAGAS's F1 over TP/FP/FN statement counts, with its conventions for empty classes. */
export function statementF1(tp: number, fp: number, fn: number, beta = 1): number {
  const precision = tp + fp === 0 ? (fn === 0 ? 1 : 0) : tp / (tp + fp);
  const recall = tp + fn === 0 ? (fp === 0 ? 1 : 0) : tp / (tp + fn);
  if (precision + recall === 0) return 0;
  const b2 = beta * beta;
  return ((1 + b2) * precision * recall) / (b2 * precision + recall);
}

/** RAGAS answer-correctness weights: factuality (statement F1), then semantic similarity. */
export const CORRECTNESS_WEIGHTS = [0.75, 0.25] as const;

export interface CorrectnessResult {
  score: number;
  f1: number;
  similarity: number;
  tp: number;
  fp: number;
  fn: number;
}

/**
 * Answer correctness without a judge, shaped like RAGAS's: 0.75 × statement F1 + 0.25 ×
 * semantic similarity. Statements are sentences; an answer statement is a true positive when a
 * reference statement supports it (term coverage or embedding, `SUPPORT_RULE`), else a false
 * positive; a reference statement no answer statement covers is a false negative.
 */
export async function answerCorrectnessNonLlm(
  embedder: Embedder,
  answer: string,
  reference: string,
  rule: { minCoverage: number; minCosine: number } = SUPPORT_RULE,
): Promise<CorrectnessResult> {
  const a = answerStatements(answer).map((s) => s.text);
  const r = contextSentences(reference).length > 0 ? contextSentences(reference) : [reference.trim()].filter(Boolean);
  const sim = await cosines(embedder, a, r);
  const supports = (i: number, j: number, x: string, y: string) => (sim[i]?.[j] ?? -1) >= rule.minCosine || termCoverage(x, y) >= rule.minCoverage;
  const tp = a.filter((x, i) => r.some((y, j) => supports(i, j, x, y))).length;
  const fp = a.length - tp;
  const fn = r.filter((y, j) => !a.some((x, i) => supports(i, j, y, x))).length;
  // With nothing to compare, RAGAS assumes a perfect factual match.
  const f1 = a.length > 0 && r.length > 0 ? statementF1(tp, fp, fn) : 1;
  const similarity = await semanticSimilarity(embedder, answer, reference);
  const [wf, ws] = CORRECTNESS_WEIGHTS;
  return { score: (wf * f1 + ws * similarity) / (wf + ws), f1, similarity, tp, fp, fn };
}

/** A citation as the harness checks it: the quote and where it claims to come from. */
export interface CitedSpan {
  quote: string;
  source: { file: string; start: number; end: number };
}

/**
 * Citation validity: the share of citations whose quote is verbatim in its source, i.e. the
 * exact text of the file at the cited offsets contains it. NaN when there are no citations.
 */
export function citationValidity(citations: readonly CitedSpan[], fileText: (file: string) => string | undefined): number {
  if (citations.length === 0) return Number.NaN;
  const valid = citations.filter((c) => {
    const text = fileText(c.source.file);
    if (text === undefined || c.quote.length === 0) return false;
    const { start, end } = c.source;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > text.length || start >= end) return false;
    return text.slice(start, end).includes(c.quote);
  });
  return valid.length / citations.length;
}
