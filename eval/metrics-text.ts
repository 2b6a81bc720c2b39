import { porterStem } from './porter-stemmer.js';

/**
 * Reference-based text metrics, reimplemented to give the same numbers as RAGAS's
 * non-LLM metrics (which call rapidfuzz, sacreBLEU and Google's rouge_score).
 *
 * Golden values from RAGAS's documentation, reference "The Eiffel Tower is located in Paris."
 * against response "The Eiffel Tower is located in India.": string similarity
 * 0.8918918918918919, BLEU 0.7071067811865478, ROUGE-L F 0.8571428571428571.
 */

/** Levenshtein distance with unit costs, over UTF-16 code units (rapidfuzz compares code points; the same for the BMP). */
export function levenshteinDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] ?? 0) + (ca === b.charCodeAt(j - 1) ? 0 : 1);
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, sub);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length] ?? 0;
}

/**
 * RAGAS `NonLLMStringSimilarity` (Levenshtein): `1 - rapidfuzz.distance.Levenshtein.normalized_distance`,
 * where the distance is normalised by the longer string's length. Two empty strings are identical (1).
 */
export function stringSimilarity(reference: string, response: string): number {
  const longest = Math.max(reference.length, response.length);
  if (longest === 0) return 1;
  return 1 - levenshteinDistance(reference, response) / longest;
}

// ---------------------------------------------------------------------------------------------
// BLEU as sacreBLEU computes it: tokenizer 13a, 4-gram, smoothing "exp", no effective order.

/** sacreBLEU's `13a` tokenizer (mteval-v13a): HTML entities unescaped, punctuation split off. */
export function tokenize13a(line: string): string[] {
  let s = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  s = s.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  s = ` ${s} `;
  s = s.replace(/([{-~[-`\x20-&(-+:-@\/])/g, ' $1 ');
  s = s.replace(/([^0-9])([.,])/g, '$1 $2 ');
  s = s.replace(/([.,])([^0-9])/g, ' $1 $2');
  s = s.replace(/([0-9])(-)/g, '$1 $2 ');
  return s.trim().split(/\s+/).filter(Boolean);
}

const MAX_ORDER = 4;

function ngramCounts(tokens: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (let n = 1; n <= MAX_ORDER; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      const key = `${n}\u0000${tokens.slice(i, i + n).join('\u0001')}`;
      out.set(key, (out.get(key) ?? 0) + 1);
    }
  }
  return out;
}

/** The reference length closest to the hypothesis length; ties go to the shorter reference. */
function closestRefLength(hypLen: number, refLens: readonly number[]): number {
  let bestDiff = -1;
  let best = -1;
  for (const len of refLens) {
    const diff = Math.abs(hypLen - len);
    if (bestDiff === -1 || diff < bestDiff) {
      bestDiff = diff;
      best = len;
    } else if (diff === bestDiff && len < best) best = len;
  }
  return best;
}

export interface BleuResult {
  /** BLEU in [0, 1] (sacreBLEU's score / 100). */
  score: number;
  /** n-gram precisions in percent, as sacreBLEU reports them. */
  precisions: number[];
  bp: number;
  sysLen: number;
  refLen: number;
}

/**
 * `sacrebleu.corpus_bleu(hypotheses, references)` with its defaults. `references` are reference
 * streams: `references[r][i]` is the r-th reference of segment i. Segments are paired as
 * Python's `zip` pairs them, so surplus hypotheses are ignored, exactly as sacreBLEU does.
 */
export function corpusBleu(hypotheses: readonly string[], references: readonly (readonly string[])[]): BleuResult {
  const segments = Math.min(hypotheses.length, ...references.map((r) => r.length));
  const correct = new Array<number>(MAX_ORDER).fill(0);
  const total = new Array<number>(MAX_ORDER).fill(0);
  let sysLen = 0;
  let refLen = 0;
  for (let i = 0; i < segments; i++) {
    const refs = references.map((stream) => stream[i]).filter((x): x is string => x !== undefined && x !== '');
    const refNgrams = new Map<string, number>();
    const refLens: number[] = [];
    for (const ref of refs) {
      const tokens = tokenize13a(ref.trimEnd());
      refLens.push(tokens.length);
      for (const [g, c] of ngramCounts(tokens)) refNgrams.set(g, Math.max(refNgrams.get(g) ?? 0, c));
    }
    const hyp = tokenize13a((hypotheses[i] ?? '').trimEnd());
    sysLen += hyp.length;
    refLen += closestRefLength(hyp.length, refLens);
    for (const [g, c] of ngramCounts(hyp)) {
      const n = Number(g.slice(0, g.indexOf('\u0000'))) - 1;
      total[n] = (total[n] ?? 0) + c;
      const inRef = refNgrams.get(g);
      if (inRef !== undefined) correct[n] = (correct[n] ?? 0) + Math.min(c, inRef);
    }
  }
  return computeBleu(correct, total, sysLen, refLen);
}

/** sacreBLEU's `BLEU.compute_bleu` with `smooth_method='exp'`, in the same floating-point order. */
function computeBleu(correct: readonly number[], total: readonly number[], sysLen: number, refLen: number): BleuResult {
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const precisions = new Array<number>(MAX_ORDER).fill(0);
  if (!correct.some((c) => c > 0)) return { score: 0, precisions, bp, sysLen, refLen };
  let smooth = 1;
  for (let n = 1; n <= MAX_ORDER; n++) {
    const t = total[n - 1] ?? 0;
    const c = correct[n - 1] ?? 0;
    if (t === 0) break;
    if (c === 0) {
      smooth *= 2;
      precisions[n - 1] = 100 / (smooth * t);
    } else precisions[n - 1] = (100 * c) / t;
  }
  const logs = precisions.map((p) => (p === 0 ? -9999999999 : Math.log(p)));
  let sum = 0;
  for (const l of logs) sum += l;
  const score = bp * Math.exp(sum / MAX_ORDER);
  return { score: score / 100, precisions, bp, sysLen, refLen };
}

/** BLEU of a whole response against a whole reference: one segment, one reference. */
export function bleu(reference: string, response: string): number {
  return corpusBleu([response], [[reference]]).score;
}

/**
 * RAGAS `BleuScore` to the letter: both texts split on ". ", each reference sentence passed
 * as its own reference stream. sacreBLEU pairs streams by position, so only the response's
 * first sentence is scored (against every reference sentence as an alternative). Equal to
 * `bleu()` when neither text contains ". ".
 */
export function ragasBleuScore(reference: string, response: string): number {
  return corpusBleu(response.split('. '), reference.split('. ').map((r) => [r])).score;
}

// ---------------------------------------------------------------------------------------------
// ROUGE-L as Google's rouge_score computes it with use_stemmer=True (RAGAS RougeScore default).

/** rouge_score's tokenizer: lowercase, non-alphanumerics to spaces, Porter stems for tokens longer than 3. */
export function rougeTokens(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .split(/\s+/)
    .map((t) => (t.length > 3 ? porterStem(t) : t))
    .filter((t) => /^[a-z0-9]+$/.test(t));
}

function lcsLength(a: readonly string[], b: readonly string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? (prev[j - 1] ?? 0) + 1 : Math.max(prev[j] ?? 0, cur[j - 1] ?? 0);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length] ?? 0;
}

export interface PrecisionRecallF {
  precision: number;
  recall: number;
  fmeasure: number;
}

/** ROUGE-L (longest common subsequence) of a response against a reference. */
export function rougeL(reference: string, response: string): PrecisionRecallF {
  const target = rougeTokens(reference);
  const prediction = rougeTokens(response);
  if (target.length === 0 || prediction.length === 0) return { precision: 0, recall: 0, fmeasure: 0 };
  const lcs = lcsLength(target, prediction);
  const precision = lcs / prediction.length;
  const recall = lcs / target.length;
  return { precision, recall, fmeasure: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0 };
}
