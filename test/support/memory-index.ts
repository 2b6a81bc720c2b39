import { join } from 'node:path';
import { AskService } from '../../src/answer/ask.js';
import { createAskService, createSearcher } from '../../src/compose.js';
import { ConfigSchema, type Config } from '../../src/config.js';
import { CorpusFiles } from '../../src/corpus/file-text.js';
import type { Chunk, StoredChunk } from '../../src/ports/chunk.js';
import type { Embedder } from '../../src/ports/embedder.js';
import type { Searcher } from '../../src/search/searcher.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { packageRoot } from '../../src/util/package-root.js';
import { termsOf } from '../../ingest/pipeline.js';
import { chunkSource } from '../../ingest/chunk-source.js';
import { listSourceFiles, readSourceFile } from '../../ingest/source-files.js';
import { HashEmbedder } from './hash-embedder.js';

export interface MemoryIndex {
  config: Config;
  store: SqliteStore;
  embedder: Embedder;
  searcher: Searcher;
  ask: AskService;
  corpus: CorpusFiles;
  chunks: Chunk[];
  close(): Promise<void>;
}

/**
 * A small real index for tests: the real chunks of `corpus/` (or of the files named), embedded
 * with the deterministic `HashEmbedder`, in a SQLite store in memory, with the searcher and
 * the ask service the composition root would build over them. Builds in well under a second.
 *
 * @example
 * const index = await buildMemoryIndex();
 * const app = createApi({ ...index, ready: () => ({ ok: true, detail: 'test' }), options });
 */
export async function buildMemoryIndex(options: { files?: string[]; corpusDir?: string; embedder?: Embedder } = {}): Promise<MemoryIndex> {
  const corpusDir = options.corpusDir ?? join(packageRoot(), 'corpus');
  const config = ConfigSchema.parse({ corpusDir, dataDir: join(corpusDir, '..', '.qbank-test'), store: { kind: 'sqlite', path: ':memory:' }, embedder: { kind: 'local' } });
  const embedder = options.embedder ?? new HashEmbedder();
  const store = SqliteStore.open({ path: ':memory:', embedderId: embedder.id, dimensions: embedder.dimensions });
  const files = options.files ?? (await listSourceFiles(corpusDir));
  const upsert: { file: { file: string; hash: string; chunkCount: number }; chunks: StoredChunk[] }[] = [];
  const all: Chunk[] = [];
  for (const file of files) {
    const source = await readSourceFile(corpusDir, file);
    if (!('text' in source)) throw new Error(`test corpus file ${file} cannot be read: ${source.reason}`);
    const chunks = chunkSource(source, config);
    const vectors = await embedder.embed(chunks.map((c) => c.embedText), 'passage');
    upsert.push({ file: { file, hash: source.sha256, chunkCount: chunks.length }, chunks: chunks.map((c, i) => ({ ...c, terms: termsOf(c), vector: vectors[i] as Float32Array })) });
    all.push(...chunks);
  }
  await store.apply({ upsert, remove: [] });
  const corpus = new CorpusFiles(corpusDir);
  const searcher = createSearcher(config, store, embedder);
  const ask = createAskService(config, searcher, embedder, corpus);
  return { config, store, embedder, searcher, ask, corpus, chunks: all, close: () => store.close() };
}
