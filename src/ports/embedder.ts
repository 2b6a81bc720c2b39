/**
 * Turns text into vectors. Capabilities are data; batching is done once, in core code
 * (`src/embed/batched.ts`), never in adapters.
 *
 * @example
 * const e: Embedder = new LocalEmbedder({ modelPath, model: 'onnx-community/all-MiniLM-L6-v2-ONNX', dtype: 'q4' });
 * const [v] = await e.embed(['explain GQA vs MQA'], 'query'); // v.length === e.dimensions
 */
export interface Embedder {
  /** Identifies model and settings; an index records it and refuses another. */
  readonly id: string;
  readonly dimensions: number;
  /** Most texts one `embed` call may take. */
  readonly maxBatchSize: number;
  /**
   * Unit-length vectors, one per text, in order. `idle` marks background work (warming a
   * cache) that an adapter may run after everything else; adapters that cannot tell ignore it.
   */
  embed(texts: readonly string[], kind: 'query' | 'passage', options?: EmbedOptions): Promise<Float32Array[]>;
  close?(): Promise<void>;
}

export interface EmbedOptions {
  idle?: boolean;
}
