/**
 * Brute-force BM25, the reference every store's `keywordSearch` is checked against.
 *
 * Per query term t (a term asked twice counts twice) and document d of length |d| terms:
 *   idf(t) = ln((N - n(t) + 0.5) / (n(t) + 0.5)), or 1e-6 when that is not positive
 *   score  = Σ idf(t) · f(t,d)·(k1 + 1) / (f(t,d) + k1·(1 - b + b·|d|/avgdl))
 * with N documents in the whole index (filters do not change the statistics), n(t) documents
 * holding t and avgdl the mean document length. This is SQLite FTS5's `bm25()`; the idf floor
 * keeps very common terms from scoring negative. Only documents holding a query term score.
 *
 * @example
 * bm25Reference([{ id: 'a', terms: ['gqa', 'mqa'] }, { id: 'b', terms: ['mqa'] }], ['gqa']);
 * // Map { 'a' => 0.23… }
 */
export interface Bm25Params {
  /** Term-frequency saturation, usually 1.2 (range 0–3). */
  k1: number;
  /** Length normalisation, usually 0.75 (range 0–1). */
  b: number;
}

export const DEFAULT_BM25: Bm25Params = { k1: 1.2, b: 0.75 };

export function bm25Reference(
  docs: readonly { id: string; terms: readonly string[] }[],
  query: readonly string[],
  params: Bm25Params = DEFAULT_BM25,
): Map<string, number> {
  const scores = new Map<string, number>();
  const n = docs.length;
  if (n === 0) return scores;
  const avgdl = docs.reduce((sum, d) => sum + d.terms.length, 0) / n;
  const freqs = docs.map((d) => {
    const f = new Map<string, number>();
    for (const t of d.terms) f.set(t, (f.get(t) ?? 0) + 1);
    return f;
  });
  for (const t of query) {
    if (t === '') continue;
    const holding = freqs.filter((f) => f.has(t)).length;
    if (holding === 0) continue;
    let idf = Math.log((n - holding + 0.5) / (holding + 0.5));
    if (idf <= 0) idf = 1e-6;
    docs.forEach((d, i) => {
      const f = freqs[i]?.get(t) ?? 0;
      if (f === 0) return;
      const lengthNorm = avgdl === 0 ? 1 : 1 - params.b + (params.b * d.terms.length) / avgdl;
      const s = (idf * f * (params.k1 + 1)) / (f + params.k1 * lengthNorm);
      scores.set(d.id, (scores.get(d.id) ?? 0) + s);
    });
  }
  return scores;
}
