import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../src/config.js';
import { createReranker, createSearcher, openStore } from '../src/compose.js';
import type { Embedder } from '../src/ports/embedder.js';
import type { Store } from '../src/ports/store.js';
import type { SearchMode } from '../src/search/searcher.js';
import { runIngest } from '../src/cli/main.js';
import type { ChunkOptions } from '../ingest/chunk.js';
import { buildLangchainBaseline } from './baseline/langchain-pipeline.js';
import type { SpanChunk } from './gold.js';
import type { RetrievalRow } from './report.js';

/** A retrieved passage as the harness scores it: its id and the ids folded into it. */
export interface RetrievedPassage {
  ids: string[];
  file: string;
  title: string;
  text: string;
}

/** One retrieval configuration under test: qbank with some settings, or the LangChain baseline. */
export interface RetrievalSystem {
  name: string;
  group: RetrievalRow['group'];
  /** The store kind qbank searches; absent for the baseline. */
  store?: string;
  description: string;
  /** Chunks by file with their spans and texts, for gold resolution. */
  chunksByFile(): Promise<Map<string, (SpanChunk & { text: string })[]>>;
  search(query: string, k: number): Promise<{ results: RetrievedPassage[]; abstained?: boolean }>;
  close(): Promise<void>;
}

export const MODE_NAMES: Record<SearchMode, string> = { bm25: 'bm25', dense: 'dense', hybrid: 'hybrid (RRF)', rerank: 'hybrid+rerank' };

async function storeChunks(store: Store): Promise<Map<string, (SpanChunk & { text: string })[]>> {
  const out = new Map<string, (SpanChunk & { text: string })[]>();
  for (const f of await store.listFiles()) out.set(f.file, await store.chunksOfFile(f.file));
  return out;
}

/** qbank's searcher over an open store, in one mode, with the configuration's retrieval knobs. */
export function qbankSystem(options: { name: string; group: RetrievalRow['group']; description: string; config: Config; store: Store; embedder: Embedder; mode: SearchMode; onClose?: () => Promise<void> }): RetrievalSystem {
  const searcher = createSearcher(options.config, options.store, options.embedder, createReranker(options.config));
  return {
    name: options.name,
    group: options.group,
    store: options.store.kind,
    description: options.description,
    chunksByFile: () => storeChunks(options.store),
    async search(query, k) {
      const r = await searcher.search({ query, k, mode: options.mode });
      return {
        abstained: r.abstained,
        results: r.results.map((x) => ({ ids: [x.id, ...(x.duplicates ?? [])], file: x.source.file, title: x.source.title ?? '', text: x.text })),
      };
    },
    close: async () => {
      await options.onClose?.();
    },
  };
}

/**
 * qbank with other chunk options: a separate temporary index built with the same embedding
 * cache (the configuration's data directory), so only new chunk texts are embedded.
 */
export async function chunkingVariant(config: Config, embedder: Embedder, chunk: ChunkOptions, progress?: NodeJS.WritableStream): Promise<RetrievalSystem> {
  const dir = mkdtempSync(join(tmpdir(), 'qbank-eval-chunks-'));
  const variant: Config = { ...config, chunk, store: { kind: 'sqlite', path: join(dir, 'index.sqlite') } };
  await runIngest(variant, { rebuild: false, progress });
  const store = await openStore(variant, embedder, { readonly: true });
  return qbankSystem({
    name: `chunks ${chunk.maxChars}/${chunk.minChars}/${chunk.listGroupChars}`,
    group: 'chunking',
    description: `hybrid+rerank on an index chunked with maxChars ${chunk.maxChars}, minChars ${chunk.minChars}, listGroupChars ${chunk.listGroupChars}`,
    config: variant,
    store,
    embedder,
    mode: 'rerank',
    onClose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** The LangChain.js baseline as a retrieval system. */
export async function baselineSystem(corpusDir: string, embedder: Embedder): Promise<RetrievalSystem> {
  const pipeline = await buildLangchainBaseline(corpusDir, embedder);
  return {
    name: 'langchain baseline',
    group: 'baseline',
    description: pipeline.id,
    async chunksByFile() {
      const out = new Map<string, (SpanChunk & { text: string })[]>();
      for (const c of pipeline.chunks) out.set(c.file, [...(out.get(c.file) ?? []), c]);
      return out;
    },
    async search(query, k) {
      return { results: (await pipeline.search(query, k)).map((c) => ({ ids: [c.id], file: c.file, title: c.text.split('\n')[0]?.slice(0, 100) ?? '', text: c.text })) };
    },
    close: async () => undefined,
  };
}
