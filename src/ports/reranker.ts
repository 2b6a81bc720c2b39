import type { Chunk } from './chunk.js';

/** The query as the reranker sees it: text, language, analysed terms and its vector. */
export interface RerankQuery {
  text: string;
  lang: string;
  /** Analysed BM25 terms of the query (for German queries, with those of its translation). */
  terms: readonly string[];
  /** IDF of each query term in the index, when the store can tell (rarer terms weigh more). */
  idf?: ReadonlyMap<string, number>;
  vector: Float32Array;
}

/** A fused candidate with its chunk, its stored vector and the scores of earlier stages. */
export interface RerankCandidate {
  chunk: Chunk;
  vector: Float32Array | undefined;
  /** Rank-fusion score, higher is better. */
  fused: number;
  bm25?: number;
  dense?: number;
}

/**
 * Reorders fused candidates. The default (`search/heuristic-reranker.ts`) combines signals at
 * hand; `search/http-reranker.ts` calls a cross-encoder server (TEI, Cohere, Jina style).
 *
 * @example
 * const scored = await reranker.rerank(query, candidates); // [{ id, score }], best first
 */
export interface Reranker {
  readonly id: string;
  rerank(query: RerankQuery, candidates: readonly RerankCandidate[]): Promise<{ id: string; score: number }[]>;
}
