import type { RerankCandidate, Reranker } from '../ports/reranker.js';

/** Keeps the fused order: for ablations, and for users who want no reranking. */
export class PassThroughReranker implements Reranker {
  readonly id = 'none';
  async rerank(_query: unknown, candidates: readonly RerankCandidate[]): Promise<{ id: string; score: number }[]> {
    return candidates.map((c) => ({ id: c.chunk.id, score: c.fused }));
  }
}
