/**
 * BM25 as the Qdrant store computes it, client-side, over the same analysed terms the SQLite
 * store indexes (`StoredChunk.terms`). The formulas are SQLite FTS5's `bm25()` (the shared
 * contract's reference, `src/store/bm25-reference.ts`):
 *
 *   idf(t)   = ln((N − n(t) + 0.5) / (n(t) + 0.5)), or 1e-6 when that is not positive
 *   tf(t, d) = f·(k1 + 1) / (f + k1·(1 − b + b·|d| / avgdl))
 *   score(d) = Σ over query terms (a repeated term counts again) of idf(t)·tf(t, d)
 *
 * Qdrant keeps, per chunk, a sparse vector of tf(t, d) computed with the avgdl of the moment it
 * was written, so its dot product with a query vector of idf weights ranks candidates; the
 * store then recomputes exact scores in float64 (see `QdrantStore.keywordSearch`).
 *
 * @example
 * const tf = termFrequencies(['gqa', 'mqa', 'gqa']); // Map { 'gqa' => 2, 'mqa' => 1 }
 * saturation(2, 3, 3); // 2·2.2 / (2 + 1.2) = 1.375
 */

/** Term-frequency saturation of FTS5's `bm25()`; the store contract pins it to 1.2. */
export const BM25_K1 = 1.2;
/** Length normalisation of FTS5's `bm25()`; the store contract pins it to 0.75. */
export const BM25_B = 0.75;
/** FTS5 replaces a non-positive idf (a term in half the documents or more) by this. */
export const MIN_IDF = 1e-6;

/** How often each non-empty term occurs; the empty string is not a term (FTS5 skips it too). */
export function termFrequencies(terms: readonly string[]): Map<string, number> {
  const tf = new Map<string, number>();
  for (const t of terms) if (t !== '') tf.set(t, (tf.get(t) ?? 0) + 1);
  return tf;
}

/** A document's length: its number of non-empty terms. */
export function documentLength(terms: readonly string[]): number {
  let n = 0;
  for (const t of terms) if (t !== '') n++;
  return n;
}

export function idf(docCount: number, docFrequency: number): number {
  const v = Math.log((docCount - docFrequency + 0.5) / (docFrequency + 0.5));
  return v > 0 ? v : MIN_IDF;
}

/** The tf part of BM25; an index whose documents hold no term at all has avgdl 0 and no length norm. */
export function saturation(frequency: number, length: number, avgdl: number): number {
  const lengthNorm = avgdl === 0 ? 1 : 1 - BM25_B + (BM25_B * length) / avgdl;
  return (frequency * (BM25_K1 + 1)) / (frequency + BM25_K1 * lengthNorm);
}

/**
 * The sparse-vector dimension of a term: 32-bit FNV-1a of its UTF-8 bytes. Stable across
 * processes and versions (changing it needs a new schema version). Two terms may share a
 * dimension; their weights are then summed, which can only raise a candidate's approximate
 * score, never lower it, so exact rescoring still finds the true top-k.
 */
export function termIndex(term: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(term, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * The payload key under `tf` of a term: `t` and the hex of its UTF-8 bytes, so any term —
 * "gpt-4", "c++", `"`, "a.b" — is a plain identifier in a Qdrant payload path (`tf.t6770742d34`).
 */
export function termKey(term: string): string {
  return `t${Buffer.from(term, 'utf8').toString('hex')}`;
}

export function termFromKey(key: string): string {
  return Buffer.from(key.slice(1), 'hex').toString('utf8');
}

/** Qdrant's sparse vector: unique indices; terms sharing an index add their weights. */
export interface SparseVector {
  indices: number[];
  values: number[];
}

export function sparseVector(weights: Iterable<readonly [string, number]>): SparseVector {
  const byIndex = new Map<number, number>();
  for (const [term, w] of weights) {
    const i = termIndex(term);
    byIndex.set(i, (byIndex.get(i) ?? 0) + w);
  }
  const indices = [...byIndex.keys()].sort((a, b) => a - b);
  return { indices, values: indices.map((i) => byIndex.get(i) ?? 0) };
}
