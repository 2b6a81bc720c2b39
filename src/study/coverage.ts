import type { Embedder } from '../ports/embedder.js';
import { analyze, type AnalyzerLanguage } from '../lang/analyzer.js';
import { dot } from '../util/dot.js';
import { embedInBatches } from './embed-in-batches.js';
import type { KeyPointSource } from './key-points.js';

/**
 * How an answer is graded offline against the key points of a model answer.
 *
 * **Coverage** (recall) of each key point: `lexicalWeight · lexical + (1 − lexicalWeight) · max(0, cosine)`,
 * where `cosine` is the best embedding similarity between the point (or one of its sentences) and a
 * sentence (or two adjacent sentences) of the answer *after the question's own direction is
 * removed from both vectors*, and `lexical` is the share of the point's content terms (analysed:
 * stemmed, stopwords removed), other than the question's, that the answer uses. Removing the
 * question matters: with all-MiniLM-L6-v2, any sentence on the topic ("A reranker is a second
 * embedding model…") is 0.6–0.8 similar to every point of the answer, right or wrong; what is
 * left after the topic is what the sentence says about it. A point earns no credit at
 * `zeroCredit` or below, full credit from `fullCredit`, a share in between; coverage is the credit
 * over `fullMarksShare` of the points, capped at 1 (a good answer need not repeat every detail).
 *
 * **Precision**: each sentence of the answer earns credit by its support
 * `precisionLexicalWeight · lexical + (1 − precisionLexicalWeight) · max(0, cosine)`, where
 * `lexical` is the share of its content terms (other than the question's) that the key points use
 * and `cosine` its best topic-free similarity to a key point, from `precisionZero` to
 * `precisionFull`; precision is the mean. A wrong answer brings its own vocabulary ("thumbs-up
 * feedback", "BLEU", "pruning"); a right one mostly the bank's.
 *
 * **Score**: the F-beta of precision and coverage, as RAGAS scores answer correctness; `beta` < 1
 * weighs precision more.
 *
 * Defaults were chosen with all-MiniLM-L6-v2 (q4) on the 14 calibration questions of
 * `eval/datasets/graded-attempts.jsonl` (a good, a partial and a wrong answer each), in the middle
 * of the broad region of settings where good > partial > wrong held for the most questions, then
 * checked on 10 questions written afterwards. `npm run eval:grading` prints the figures (22 of 24
 * questions ordered when they were set: 12/14 calibration, 10/10 held out).
 *
 * @example
 * const g = await gradeAgainstPoints(points, question.title, answer, embedder, { ...DEFAULT_GRADING, fullMarksShare: 0.8 });
 */
export interface GradingThresholds {
  /** Weight of the lexical share in a point's coverage support, against the topic-free cosine. 0–1, default 0.2. */
  lexicalWeight: number;
  /** A point with coverage support at or above this is reported as covered. 0–1, default 0.5. */
  covered: number;
  /** Support at or below which a point earns nothing. 0–1, default 0.3. */
  zeroCredit: number;
  /** Support at or above which a point earns full credit. `zeroCredit`–1, default 0.65. */
  fullCredit: number;
  /** Share of the points' credit that counts as full coverage. 0.1–1, default 0.7. */
  fullMarksShare: number;
  /** Weight of the lexical share in a sentence's precision support, against the topic-free cosine. 0–1, default 0.85. */
  precisionLexicalWeight: number;
  /** A sentence of the answer with precision support at or below this earns nothing. 0–1, default 0.25. */
  precisionZero: number;
  /** … and full precision from this support. `precisionZero`–1, default 0.6. */
  precisionFull: number;
  /** F-beta weight of coverage against precision: below 1 weighs precision more. 0.1–10, default 0.75. */
  beta: number;
}

export const DEFAULT_GRADING: GradingThresholds = {
  lexicalWeight: 0.2,
  covered: 0.5,
  zeroCredit: 0.3,
  fullCredit: 0.65,
  fullMarksShare: 0.7,
  precisionLexicalWeight: 0.85,
  precisionZero: 0.25,
  precisionFull: 0.6,
  beta: 0.75,
};

/** How well the answer covers one key point. */
export interface PointMatch {
  /** Share of the point's content terms (other than the question's) that the answer uses. 0–1. */
  lexical: number;
  /** Best topic-free cosine between the point and a piece of the answer. −1–1. */
  semantic: number;
  /** The weighted support the thresholds apply to. 0–1. */
  support: number;
  /** Credit the point earns. 0–1. */
  credit: number;
  covered: boolean;
  /** The piece of the answer that matches the point best. */
  matched?: string;
}

/** An answer graded offline against key points. */
export interface OfflineGrade {
  points: PointMatch[];
  /** Credit earned over `fullMarksShare` of the points, capped at 1. */
  coverage: number;
  /** Mean precision credit of the answer's sentences. 0–1. */
  precision: number;
  /** F-beta of precision and coverage. 0–1. */
  score: number;
}

/** Longest answer piece compared, in characters; a longer one is cut, not dropped. */
const MAX_UNIT_CHARS = 600;
/** Most pieces of one answer compared. */
const MAX_UNITS = 120;

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/**
 * The pieces of a free-text answer that are compared with the key points: its sentences (lines
 * and list items first, then ICU sentences) and each pair of adjacent sentences, since a student
 * often makes one point across two sentences.
 */
export function answerUnits(answer: string): string[] {
  const sentences = answerSentences(answer);
  if (sentences.length === 0) return answer.trim() ? [answer.trim().slice(0, MAX_UNIT_CHARS)] : [];
  const units = [...sentences];
  for (let i = 0; i + 1 < sentences.length; i++) units.push(`${sentences[i]} ${sentences[i + 1]}`);
  return [...new Set(units)].slice(0, MAX_UNITS);
}

/**
 * Grades a free-text answer against the key points of a model answer, with the embedder the bank
 * was indexed with and lexical overlap (see `GradingThresholds`). Key points are embedded as
 * passages (cached with the bank's), the question and the answer's pieces as queries (kept in
 * memory only).
 */
export async function gradeAgainstPoints(
  points: readonly KeyPointSource[],
  question: string,
  answer: string,
  embedder: Embedder,
  thresholds: GradingThresholds = DEFAULT_GRADING,
  lang: AnalyzerLanguage = 'en',
): Promise<OfflineGrade> {
  if (points.length === 0) return { points: [], coverage: 0, precision: 0, score: 0 };
  const t = thresholds;
  const units = answerUnits(answer);
  const pointTexts = [...new Set(points.flatMap((p) => [p.text, ...p.sentences]))];
  const [pointVectors, queryVectors] = await Promise.all([embedInBatches(embedder, pointTexts, 'passage'), embedInBatches(embedder, [question, ...units], 'query')]);
  // What is left of each vector once the question's own direction is taken out: what it says about the topic.
  const topic = queryVectors[0];
  const off = (v: Float32Array) => (topic ? withoutDirection(v, topic) : v);
  const pointVector = new Map(pointTexts.map((text, i) => [text, off(pointVectors[i] as Float32Array)]));
  const unitVector = new Map(units.map((u, i) => [u, off(queryVectors[i + 1] as Float32Array)]));
  const questionTerms = new Set(analyze(question, lang));
  const contentTerms = (text: string) => [...new Set(analyze(text, lang))].filter((term) => !questionTerms.has(term));
  const answerTerms = new Set(analyze(answer, lang));

  const matches = points.map((p) => {
    let semantic = units.length === 0 ? 0 : -1;
    let matched: string | undefined;
    let lexical = 0;
    for (const text of new Set([p.text, ...p.sentences])) {
      const v = pointVector.get(text);
      if (v) {
        for (const [u, uv] of unitVector) {
          const c = dot(v, uv);
          if (c > semantic) {
            semantic = c;
            matched = u;
          }
        }
      }
      const terms = contentTerms(text);
      if (terms.length > 0) lexical = Math.max(lexical, terms.filter((term) => answerTerms.has(term)).length / terms.length);
    }
    const support = t.lexicalWeight * lexical + (1 - t.lexicalWeight) * Math.max(0, semantic);
    const m: PointMatch = { lexical, semantic, support, credit: ramp(support, t.zeroCredit, t.fullCredit), covered: support >= t.covered };
    if (matched !== undefined) m.matched = matched;
    return m;
  });
  const coverage = coverageOf(matches.map((m) => m.credit), t);

  const bank = new Set(points.flatMap((p) => contentTerms(p.text)));
  const pointVectorList = [...pointVector.values()];
  const sentences = answerSentences(answer);
  let precisionSum = 0;
  for (const s of sentences) {
    const terms = contentTerms(s);
    const lexical = terms.length === 0 ? 0 : terms.filter((term) => bank.has(term)).length / terms.length;
    const v = unitVector.get(s);
    const cosine = v ? Math.max(0, ...pointVectorList.map((pv) => dot(v, pv))) : 0;
    precisionSum += ramp(t.precisionLexicalWeight * lexical + (1 - t.precisionLexicalWeight) * cosine, t.precisionZero, t.precisionFull);
  }
  const precision = sentences.length === 0 ? 0 : precisionSum / sentences.length;
  return { points: matches, coverage, precision, score: fBeta(precision, coverage, t.beta) };
}

/** `v` with its component along the unit vector `d` removed, renormalised. */
export function withoutDirection(v: Float32Array, d: Float32Array): Float32Array {
  const along = dot(v, d);
  const out = new Float32Array(v.length);
  let norm = 0;
  for (let i = 0; i < v.length; i++) {
    const x = (v[i] as number) - along * (d[i] as number);
    out[i] = x;
    norm += x * x;
  }
  if (norm === 0) return out;
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * scale;
  return out;
}

/** F-beta of precision and recall; 0 when both are 0. */
export function fBeta(precision: number, recall: number, beta: number): number {
  const b2 = beta * beta;
  const d = b2 * precision + recall;
  return d === 0 ? 0 : ((1 + b2) * precision * recall) / d;
}

/** The answer's sentences (lines and list items first, then ICU sentences). */
function answerSentences(answer: string): string[] {
  const out: string[] = [];
  for (const line of answer.split(/\n+/)) {
    const t = line.replace(/^\s*(?:[-*+•]|\d{1,3}[.)])\s+/, '').trim();
    if (!t) continue;
    for (const seg of segmenter.segment(t)) {
      const s = seg.segment.trim();
      if (/[\p{L}\p{N}]/u.test(s)) out.push(s.slice(0, MAX_UNIT_CHARS));
    }
  }
  return out;
}

/** 0 up to `zero`, 1 from `full`, linear between. */
export function ramp(x: number, zero: number, full: number): number {
  if (x <= zero) return 0;
  if (x >= full) return 1;
  return (x - zero) / (full - zero);
}

/** Coverage from the points' credits: their sum over `fullMarksShare` of the points, capped at 1. */
export function coverageOf(credits: readonly number[], t: Pick<GradingThresholds, 'fullMarksShare'>): number {
  if (credits.length === 0) return 0;
  const earned = credits.reduce((a, b) => a + b, 0);
  return Math.min(1, earned / (t.fullMarksShare * credits.length));
}
