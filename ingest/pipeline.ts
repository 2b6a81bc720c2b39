import { createHash } from 'node:crypto';
import type { Chunk, FileRecord, StoredChunk } from '../src/ports/chunk.js';
import type { Embedder } from '../src/ports/embedder.js';
import type { Store } from '../src/ports/store.js';
import { analyze, type AnalyzerLanguage } from '../src/lang/analyzer.js';
import { CHUNKER_VERSION, type ChunkOptions } from './chunk.js';
import { defaultChunker, type Chunker } from './isolated-chunker.js';
import type { JsonFieldMap } from './json-records.js';
import { listSourceFiles, readSourceFile } from './source-files.js';

/** Bump when the BM25 analysis changes, so that re-ingest re-analyses every file. */
export const ANALYZER_VERSION = 3;


export interface IngestOptions {
  corpusDir: string;
  chunk: ChunkOptions;
  jsonFields: JsonFieldMap;
}

export type FileStatus = 'added' | 'changed' | 'unchanged' | 'removed' | 'skipped';

export interface IngestReport {
  files: { file: string; status: FileStatus; chunks?: number; reason?: string }[];
  /** Chunks whose text went to the embedder in this run (after the cache). */
  embeddedChunks: number;
  /** Chunks written to the store (0 when nothing changed). */
  writtenChunks: number;
  chunkCount: number;
  fileCount: number;
  /** Whether the store was changed at all. */
  changed: boolean;
  durationMs: number;
}

export type IngestProgress =
  | { phase: 'scan'; files: number }
  | { phase: 'chunk'; file: string; status: FileStatus }
  | { phase: 'embed'; done: number; total: number }
  | { phase: 'write'; chunks: number };

export interface IngestDeps {
  store: Store;
  embedder: Embedder;
  /** How many texts the embedder actually computed (a cache in front makes this smaller). */
  embeddedCount?: () => number;
  onProgress?: (event: IngestProgress) => void;
  /**
   * Parses and chunks a file. Default `defaultChunker()`: in a worker thread under a deadline,
   * so a file the parser chokes on is skipped instead of hanging ingestion.
   */
  chunker?: Chunker;
}

/**
 * Brings the index up to date with the corpus directory: unchanged files are left alone, a
 * changed file's chunks are replaced, a removed file's chunks are deleted, and a file that
 * cannot be read or parsed (or not within its parse deadline, see `IsolatedChunker`) is
 * reported and skipped while its previous chunks stay. All
 * changes are written in one transaction after every embedding succeeded, so a failure or a
 * killed process leaves the previous index as it was.
 */
export async function ingestCorpus(deps: IngestDeps, options: IngestOptions): Promise<IngestReport> {
  const started = performance.now();
  const { store, embedder, onProgress } = deps;
  const settingsHash = createHash('sha256')
    .update(JSON.stringify({ CHUNKER_VERSION, ANALYZER_VERSION, chunk: options.chunk, json: options.jsonFields }))
    .digest('hex');
  const previous = new Map((await store.listFiles()).map((f) => [f.file, f]));
  const paths = await listSourceFiles(options.corpusDir);
  onProgress?.({ phase: 'scan', files: paths.length });

  const report: IngestReport['files'] = [];
  const pending: { record: FileRecord; chunks: Chunk[] }[] = [];
  const present = new Set<string>();
  const chunker = deps.chunker ?? defaultChunker();
  try {
    for (const path of paths) {
      present.add(path);
      const source = await readSourceFile(options.corpusDir, path);
      if (!('text' in source)) {
        report.push({ file: path, status: 'skipped', reason: source.reason });
        onProgress?.({ phase: 'chunk', file: path, status: 'skipped' });
        continue;
      }
      const hash = createHash('sha256').update(source.sha256).update(settingsHash).digest('hex');
      const before = previous.get(path);
      if (before && before.hash === hash) {
        report.push({ file: path, status: 'unchanged', chunks: before.chunkCount });
        onProgress?.({ phase: 'chunk', file: path, status: 'unchanged' });
        continue;
      }
      let chunks: Chunk[];
      try {
        chunks = await chunker.chunk(source, options);
      } catch (cause) {
        report.push({ file: path, status: 'skipped', reason: (cause as Error).message });
        onProgress?.({ phase: 'chunk', file: path, status: 'skipped' });
        continue;
      }
      if (chunks.length === 0) {
        report.push({ file: path, status: 'skipped', reason: 'no text to index was found in it' });
        onProgress?.({ phase: 'chunk', file: path, status: 'skipped' });
        continue;
      }
      const status: FileStatus = before ? 'changed' : 'added';
      report.push({ file: path, status, chunks: chunks.length });
      onProgress?.({ phase: 'chunk', file: path, status });
      pending.push({ record: { file: path, hash, chunkCount: chunks.length }, chunks });
    }
  } finally {
    if (!deps.chunker) await chunker.close();
  }
  const removed = [...previous.keys()].filter((f) => !present.has(f));
  for (const file of removed) report.push({ file, status: 'removed' });

  const embeddedBefore = deps.embeddedCount?.() ?? 0;
  const allChunks = pending.flatMap((p) => p.chunks);
  const vectors = await embedAll(embedder, allChunks.map((c) => c.embedText), onProgress);
  let i = 0;
  const upsert = pending.map((p) => ({
    file: p.record,
    chunks: p.chunks.map((c): StoredChunk => ({ ...c, terms: termsOf(c), vector: vectors[i++] as Float32Array })),
  }));
  const changed = upsert.length > 0 || removed.length > 0;
  if (changed) {
    onProgress?.({ phase: 'write', chunks: allChunks.length });
    await store.apply({ upsert, remove: removed });
  }
  const info = await store.info();
  return {
    files: report,
    embeddedChunks: deps.embeddedCount ? deps.embeddedCount() - embeddedBefore : allChunks.length,
    writtenChunks: allChunks.length,
    chunkCount: info.chunkCount,
    fileCount: info.fileCount,
    changed,
    durationMs: performance.now() - started,
  };
}

/**
 * BM25 terms of a chunk: its question title and text, analysed in the chunk's language, and a
 * JSON record's section path (its contextual header; a markdown chunk's title already is one).
 */
export function termsOf(chunk: Pick<Chunk, 'title' | 'text' | 'lang'> & Partial<Pick<Chunk, 'kind' | 'section'>>): string[] {
  const header = chunk.kind === 'record' ? (chunk.section ?? []) : [];
  return analyze([...header, chunk.title, chunk.text].filter((x) => x).join('\n'), analyzerLanguage(chunk.lang));
}

export function analyzerLanguage(lang: string): AnalyzerLanguage {
  return lang === 'de' ? 'de' : 'en';
}

const EMBED_SLICE = 32;

async function embedAll(embedder: Embedder, texts: readonly string[], onProgress?: (e: IngestProgress) => void): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  onProgress?.({ phase: 'embed', done: 0, total: texts.length });
  for (let i = 0; i < texts.length; i += EMBED_SLICE) {
    out.push(...(await embedder.embed(texts.slice(i, i + EMBED_SLICE), 'passage')));
    onProgress?.({ phase: 'embed', done: out.length, total: texts.length });
  }
  return out;
}
