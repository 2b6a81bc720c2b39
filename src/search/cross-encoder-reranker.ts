import type { RerankCandidate, Reranker, RerankQuery } from '../ports/reranker.js';
import { QbankError } from '../errors.js';

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

interface Loaded {
  tokenizer: (texts: string[], options: { text_pair: string[]; padding: boolean; truncation: boolean }) => unknown;
  model: (inputs: unknown) => Promise<{ logits: { data: ArrayLike<number>; dims: number[] } }>;
}

/** A cross-encoder run with transformers.js: scores each (query, passage) pair jointly. */
export class CrossEncoderReranker implements Reranker {
  readonly id: string;
  #loaded: Promise<Loaded> | undefined;

  constructor(private readonly options: CrossEncoderOptions) {
    this.id = `cross-encoder:${options.model}`;
  }

  async #load(): Promise<Loaded> {
    const t = await import('@huggingface/transformers');
    t.env.allowRemoteModels = this.options.allowRemote ?? false;
    if (this.options.modelPath) t.env.localModelPath = this.options.modelPath.endsWith('/') ? this.options.modelPath : `${this.options.modelPath}/`;
    try {
      const tokenizer = await t.AutoTokenizer.from_pretrained(this.options.model);
      const model = await t.AutoModelForSequenceClassification.from_pretrained(this.options.model, { dtype: this.options.dtype ?? 'q8' });
      return { tokenizer: tokenizer as unknown as Loaded['tokenizer'], model: model as unknown as Loaded['model'] };
    } catch (cause) {
      this.#loaded = undefined;
      throw new QbankError('reranker_load_failed', `The cross-encoder "${this.options.model}" could not be loaded: ${(cause as Error).message}. Put its files under ${this.options.modelPath ?? 'QBANK_RERANK_MODEL_PATH'} or use QBANK_RERANKER=heuristic.`, { cause });
    }
  }

  async rerank(query: RerankQuery, candidates: readonly RerankCandidate[]): Promise<{ id: string; score: number }[]> {
    if (candidates.length === 0) return [];
    this.#loaded ??= this.#load();
    const { tokenizer, model } = await this.#loaded;
    const size = this.options.batchSize ?? 16;
    const scored: { id: string; score: number }[] = [];
    for (let i = 0; i < candidates.length; i += size) {
      const batch = candidates.slice(i, i + size);
      const inputs = tokenizer(
        batch.map(() => query.text),
        { text_pair: batch.map((c) => (c.chunk.title ? `${c.chunk.title}\n${c.chunk.text}` : c.chunk.text)), padding: true, truncation: true },
      );
      const { logits } = await model(inputs);
      const width = logits.dims.at(-1) ?? 1;
      batch.forEach((c, j) => scored.push({ id: c.chunk.id, score: Number(logits.data[j * width + (width - 1)]) }));
    }
    return scored.sort((a, b) => b.score - a.score);
  }
}
