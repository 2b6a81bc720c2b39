import type { Chunk, FileRecord, StoredChunk } from './chunk.js';

/**
 * Restricts a search to part of the bank. Every field narrows; absent fields do not.
 *
 * @example
 * const f: SearchFilter = { file: ['003_2c438f64575affed.txt'], section: 'fine-tuning', difficulty: ['Hard'] };
 */
export interface SearchFilter {
  /** Exact corpus-relative file paths. */
  file?: string[];
  /** Case-insensitive substring of any element of the chunk's section path. */
  section?: string;
  /** Exact difficulty values, case-insensitive ("Easy", "Medium", "Hard"). */
  difficulty?: string[];
  /** Exact language codes ("en", "de"). */
  lang?: string[];
}

export interface ScoredId {
  id: string;
  /** Higher is better. BM25: positive relevance. Dense: cosine similarity in [-1, 1]. */
  score: number;
}

/** What an index was built with; a store refuses to open with a different embedder. */
export interface IndexInfo {
  schemaVersion: number;
  embedderId: string;
  dimensions: number;
  chunkCount: number;
  fileCount: number;
}

export interface TermStatistics {
  docCount: number;
  /** Document frequency by term; terms in no chunk are absent. */
  df: Map<string, number>;
}

/** One atomic change: files whose chunks are replaced wholesale, and files removed. */
export interface IndexChange {
  upsert: { file: FileRecord; chunks: StoredChunk[] }[];
  remove: string[];
}

/**
 * The index of the question bank. Implementations: `store/sqlite` (embedded default),
 * `store/qdrant` (scale-out). Behaviour is fixed by the shared contract suite in
 * `src/store/contract.ts`.
 */
export interface Store {
  readonly kind: string;
  info(): Promise<IndexInfo>;
  listFiles(): Promise<FileRecord[]>;
  /** Applies the change atomically: readers see the whole old index or the whole new one. */
  apply(change: IndexChange): Promise<void>;
  /** Chunks by id, in the order asked; unknown ids are left out. */
  getChunks(ids: readonly string[]): Promise<Chunk[]>;
  /** All chunks of one file, in document order. */
  chunksOfFile(file: string): Promise<Chunk[]>;
  /** BM25 over the analysed terms, best first. An empty term list returns nothing. */
  keywordSearch(terms: readonly string[], limit: number, filter?: SearchFilter): Promise<ScoredId[]>;
  /** Nearest neighbours by cosine similarity, best first. */
  vectorSearch(vector: Float32Array, limit: number, filter?: SearchFilter): Promise<ScoredId[]>;
  /**
   * How many chunks hold each term, and how many chunks there are: for IDF weights outside
   * BM25 (the reranker's term coverage). Optional: without it, every term weighs the same.
   */
  termStatistics?(terms: readonly string[]): Promise<TermStatistics>;
  /** Stored vectors by id (for reranking and the embedding cache); unknown ids are left out. */
  getVectors(ids: readonly string[]): Promise<Map<string, Float32Array>>;
  close(): Promise<void>;
}
