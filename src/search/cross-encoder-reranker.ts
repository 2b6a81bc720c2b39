import type { RerankCandidate, Reranker, RerankQuery } from '../ports/reranker.js';
import { QbankError } from '../errors.js';
import { ModelThread, ModelThreadError, modelSpec, type ModelSpec } from '../embed/local/model-thread.js';

/**
 * Options of the in-process cross-encoder, for users who have the weights (e.g.
 * `Xenova/ms-marco-MiniLM-L-6-v2` downloaded under `modelPath`).
 *
 * @example
 * new CrossEncoderReranker({ model: 'Xenova/ms-marco-MiniLM-L-6-v2', modelPath: '/models', dtype: 'q8' })
 */
export interface CrossEncoderOptions {
  model: string;
  modelPath?: string;
  dtype?: 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4';
  allowRemote?: boolean;
  /** Pairs per forward pass. Default 16. */
  batchSize?: number;
}

/**
 * A cross-encoder run with transformers.js in the process's model thread (see `ModelThread`):
 * scores each (query, passage) pair jointly.
 */
export class CrossEncoderReranker implements Reranker {
  readonly id: string;
  readonly #spec: ModelSpec;

  constructor(private readonly options: CrossEncoderOptions) {
    this.id = `cross-encoder:${options.model}`;
    this.#spec = modelSpec({ ...options, dtype: options.dtype ?? 'q8' });
  }

  async rerank(query: RerankQuery, candidates: readonly RerankCandidate[]): Promise<{ id: string; score: number }[]> {
    if (candidates.length === 0) return [];
    const size = this.options.batchSize ?? 16;
    const scored: { id: string; score: number }[] = [];
    for (let i = 0; i < candidates.length; i += size) {
      const batch = candidates.slice(i, i + size);
      const passages = batch.map((c) => (c.chunk.title ? `${c.chunk.title}\n${c.chunk.text}` : c.chunk.text));
      let out;
      try {
        out = await ModelThread.shared().crossEncode(this.#spec, batch.map(() => query.text), passages);
      } catch (cause) {
        if (cause instanceof ModelThreadError && cause.stage === 'load') {
          throw new QbankError('reranker_load_failed', `The cross-encoder "${this.options.model}" could not be loaded: ${cause.message}. Put its files under ${this.options.modelPath ?? 'QBANK_RERANK_MODEL_PATH'} or use QBANK_RERANKER=heuristic.`, { cause });
        }
        throw cause;
      }
      batch.forEach((c, j) => scored.push({ id: c.chunk.id, score: Number(out.data[j]) }));
    }
    return scored.sort((a, b) => b.score - a.score);
  }
}
