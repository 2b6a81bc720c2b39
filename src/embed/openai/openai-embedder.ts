import type { OpenAIEmbeddings } from '@langchain/openai';
import type { Embedder } from '../../ports/embedder.js';
import { QbankError } from '../../errors.js';

/**
 * Options of the embedder for OpenAI or any OpenAI-compatible server (Ollama, vLLM, llama.cpp, TEI).
 *
 * @example
 * new OpenAIEmbedder({ model: 'nomic-embed-text', baseURL: 'http://127.0.0.1:11434/v1', apiKey: 'ollama', dimensions: 768 })
 */
export interface OpenAIEmbedderOptions {
  model: string;
  /** Server base URL; default OpenAI's. */
  baseURL?: string;
  apiKey?: string;
  /** Vector size the model returns; an index records it. Never learned by probing the model. */
  dimensions: number;
  /** Texts per request. 1–2048, default 64. */
  maxBatchSize?: number;
  /** Request timeout in milliseconds. Default 30000. */
  timeoutMs?: number;
}

export class OpenAIEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  readonly maxBatchSize: number;
  #client: Promise<OpenAIEmbeddings> | undefined;

  constructor(private readonly options: OpenAIEmbedderOptions) {
    this.id = `openai:${options.baseURL ?? 'https://api.openai.com/v1'}:${options.model}`;
    this.dimensions = options.dimensions;
    this.maxBatchSize = options.maxBatchSize ?? 64;
  }

  /** LangChain's client, imported on first use: loading it costs about a second at start-up. */
  #getClient(): Promise<OpenAIEmbeddings> {
    const o = this.options;
    this.#client ??= import('@langchain/openai').then(
      ({ OpenAIEmbeddings }) =>
        new OpenAIEmbeddings({
          model: o.model,
          apiKey: o.apiKey ?? 'not-needed',
          encodingFormat: 'float',
          batchSize: this.maxBatchSize,
          stripNewLines: false,
          timeout: o.timeoutMs ?? 30_000,
          maxRetries: 2,
          configuration: o.baseURL ? { baseURL: o.baseURL } : {},
        }),
    );
    return this.#client;
  }

  async embed(texts: readonly string[], kind: 'query' | 'passage'): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    let raw: number[][];
    try {
      const client = await this.#getClient();
      raw = kind === 'query' && texts.length === 1 ? [await client.embedQuery(texts[0] ?? '')] : await client.embedDocuments([...texts]);
    } catch (cause) {
      throw new QbankError('embedder_request_failed', `The embedding server for "${this.options.model}" failed: ${(cause as Error).message}`, { cause });
    }
    return raw.map((v) => {
      if (v.length !== this.dimensions) {
        throw new QbankError('embedder_dimensions', `The model "${this.options.model}" returned ${v.length}-dimensional vectors but is configured as ${this.dimensions}; fix the dimensions in the configuration.`);
      }
      return normalize(Float32Array.from(v));
    });
  }
}

function normalize(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  for (let i = 0; i < v.length; i++) v[i] = (v[i] ?? 0) / n;
  return v;
}
