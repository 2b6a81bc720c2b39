import { Document } from '@langchain/core/documents';
import type { Embedder } from '../../src/ports/embedder.js';
import { listSourceFiles, readSourceFile } from '../../ingest/source-files.js';
import { QbankEmbeddings } from './qbank-embeddings.js';

/** A baseline chunk: where it is in its file, so gold quotes resolve the same way as for qbank. */
export interface BaselineChunk {
  id: string;
  file: string;
  start: number;
  end: number;
  text: string;
}

export interface BaselinePipeline {
  readonly id: string;
  chunks: BaselineChunk[];
  /** The top k chunks for a query, best first. */
  search(query: string, k: number): Promise<BaselineChunk[]>;
}

/** Settings of the baseline: LangChain's documented defaults for a first RAG pipeline. */
export const BASELINE_SETTINGS = { chunkSize: 1000, chunkOverlap: 200, k: 10, weights: [0.5, 0.5], rrfC: 60 } as const;

/**
 * The pipeline a developer builds with LangChain.js in an afternoon: RecursiveCharacterTextSplitter
 * (1000/200), MemoryVectorStore for dense search, BM25Retriever for keywords, EnsembleRetriever
 * (weighted RRF, c = 60) to fuse them, with qbank's embedding model.
 *
 * One fix makes it fair: LangChain's BM25Retriever lowercases the query but not the documents,
 * so a capitalised word never matches. Every chunk is lowercased before indexing, for both
 * retrievers (the EnsembleRetriever fuses by page content, so both must see the same text);
 * all-MiniLM-L6-v2 is an uncased model, so its vectors do not change. The original text stays in
 * the metadata. The splitter's output is located in its file to give each chunk its offsets.
 */
export async function buildLangchainBaseline(corpusDir: string, embedder: Embedder): Promise<BaselinePipeline> {
  // LangChain loads only when the baseline runs.
  const [{ RecursiveCharacterTextSplitter }, { MemoryVectorStore }, { BM25Retriever }, { EnsembleRetriever }] = await Promise.all([
    import('@langchain/textsplitters'),
    import('@langchain/classic/vectorstores/memory'),
    import('@langchain/community/retrievers/bm25'),
    import('@langchain/classic/retrievers/ensemble'),
  ]);
  const splitter = new RecursiveCharacterTextSplitter({ chunkSize: BASELINE_SETTINGS.chunkSize, chunkOverlap: BASELINE_SETTINGS.chunkOverlap });
  const chunks: BaselineChunk[] = [];
  const docs: Document[] = [];
  for (const file of await listSourceFiles(corpusDir)) {
    const source = await readSourceFile(corpusDir, file);
    if (!('text' in source)) continue;
    let from = 0;
    const pieces = await splitter.splitText(source.text);
    pieces.forEach((piece, i) => {
      let start = source.text.indexOf(piece, from);
      if (start < 0) start = source.text.indexOf(piece);
      if (start >= 0) from = start + 1;
      const chunk: BaselineChunk = { id: `lc:${file}:${i}`, file, start: Math.max(0, start), end: Math.max(0, start) + piece.length, text: piece };
      chunks.push(chunk);
      docs.push(new Document({ pageContent: piece.toLowerCase(), metadata: { id: chunk.id, file } }));
    });
  }
  const byId = new Map(chunks.map((c) => [c.id, c]));
  const vectorStore = await MemoryVectorStore.fromDocuments(docs, new QbankEmbeddings(embedder));
  const retriever = new EnsembleRetriever({
    retrievers: [BM25Retriever.fromDocuments(docs, { k: BASELINE_SETTINGS.k }), vectorStore.asRetriever({ k: BASELINE_SETTINGS.k })],
    weights: [...BASELINE_SETTINGS.weights],
    c: BASELINE_SETTINGS.rrfC,
  });
  return {
    id: `langchain(RecursiveCharacterTextSplitter ${BASELINE_SETTINGS.chunkSize}/${BASELINE_SETTINGS.chunkOverlap}, MemoryVectorStore + BM25Retriever, EnsembleRetriever c=${BASELINE_SETTINGS.rrfC})`,
    chunks,
    async search(query, k) {
      const found = await retriever.invoke(query.toLowerCase());
      return found
        .map((d) => byId.get(String(d.metadata['id'])))
        .filter((c): c is BaselineChunk => c !== undefined)
        .slice(0, k);
    },
  };
}
