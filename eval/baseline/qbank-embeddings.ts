import { Embeddings } from '@langchain/core/embeddings';
import type { Embedder } from '../../src/ports/embedder.js';

/**
 * qbank's embedder as a LangChain `Embeddings`, so that the LangChain baseline and qbank use
 * the same model (and the same embedding cache).
 *
 * @example
 * const store = await MemoryVectorStore.fromDocuments(docs, new QbankEmbeddings(embedder));
 */
export class QbankEmbeddings extends Embeddings {
  constructor(private readonly embedder: Embedder) {
    super({});
  }

  override async embedDocuments(texts: string[]): Promise<number[][]> {
    return (await this.embedder.embed(texts, 'passage')).map((v) => Array.from(v));
  }

  override async embedQuery(text: string): Promise<number[]> {
    const [v] = await this.embedder.embed([text], 'query');
    return v ? Array.from(v) : [];
  }
}
