import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../src/config.js';
import { createEmbedder, createSearcher, openStore } from '../src/compose.js';
import { CachedEmbedder } from '../src/embed/cached-embedder.js';
import { EmbeddingCache } from '../src/embed/cache.js';
import { SEARCH_MODES, type SearchMode } from '../src/search/searcher.js';
import { runIngest } from '../src/cli/main.js';
import { enclosingScopes, topLevelNames } from '../ingest/code-context.js';
import type { JsonFieldMap } from '../ingest/json-records.js';
import type { Progress } from './progress.js';
import { latencyFigures, type LatencyFigures, type PeerReport } from './report.js';
import { MODE_NAMES } from './systems.js';

/**
 * The peer benchmarks of /work/shared/peer (anthropic-cookbook data): a second and third corpus
 * run through qbank unchanged, each in its own index (own data directory), scored exactly as
 * the cookbook scores them, next to the cookbook's published figures.
 */
export const PEERS = ['anthropic-docs', 'anthropic-codebase'] as const;
export type PeerName = (typeof PEERS)[number];

// ---------------------------------------------------------------------------------------------
// Metrics, as the cookbook computes them.

/** Cookbook retrieval metrics of one question: precision, recall over the retrieved links, MRR of the first correct one. */
export function docsQuestionMetrics(retrieved: readonly string[], correct: readonly string[]): { precision: number; recall: number; mrr: number } {
  const r = new Set(retrieved);
  const c = new Set(correct);
  const tp = [...r].filter((x) => c.has(x)).length;
  const i = retrieved.findIndex((x) => c.has(x));
  return { precision: retrieved.length > 0 ? tp / retrieved.length : 0, recall: correct.length > 0 ? tp / correct.length : 0, mrr: i < 0 ? 0 : 1 / (i + 1) };
}

/** Averages per question; F1 from the averaged precision and recall, as the cookbook reports it. */
export function docsAverages(perQuestion: readonly { precision: number; recall: number; mrr: number }[]): Record<string, number> {
  const avg = (f: (x: { precision: number; recall: number; mrr: number }) => number) => perQuestion.reduce((s, x) => s + f(x), 0) / Math.max(1, perQuestion.length);
  const precision = avg((x) => x.precision);
  const recall = avg((x) => x.recall);
  return { 'precision@3': precision, 'recall@3': recall, F1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0, 'MRR@3': avg((x) => x.mrr) };
}

/** Cookbook Pass@k of one query: share of its golden chunk contents among the top k retrieved contents. */
export function passAtK(retrievedContents: readonly string[], goldenContents: readonly string[], k: number): number {
  if (goldenContents.length === 0) return 0;
  const top = retrievedContents.slice(0, k).map((c) => c.trim());
  return goldenContents.filter((g) => top.includes(g.trim())).length / goldenContents.length;
}

/** `golden_chunk_uuids`: a JSON list of `[doc uuid, chunk index]` pairs, or the same as a Python literal string. */
export function parsePythonPairs(value: string | [string, number][]): [string, number][] {
  return typeof value === 'string' ? (JSON.parse(value.replace(/'/g, '"')) as [string, number][]) : value;
}

// ---------------------------------------------------------------------------------------------

export const PUBLISHED_DOCS = [
  { pipeline: 'Basic RAG (voyage-2)', metrics: { 'precision@3': 0.428, 'recall@3': 0.659, F1: 0.519, 'MRR@3': 0.737 } },
  { pipeline: 'Summary indexing (voyage-2)', metrics: { 'precision@3': 0.453, 'recall@3': 0.714, F1: 0.555, 'MRR@3': 0.773 } },
  { pipeline: 'Summary indexing + Claude re-ranking', metrics: { 'precision@3': 0.437, 'recall@3': 0.693, F1: 0.536, 'MRR@3': 0.865 } },
];

export const PUBLISHED_CODEBASE = [
  { pipeline: 'Dense embeddings (voyage-2)', metrics: { 'Pass@5': 80.92, 'Pass@10': 87.15, 'Pass@20': 90.06 } },
  { pipeline: 'Contextual embeddings', metrics: { 'Pass@5': 86.37, 'Pass@10': 92.81, 'Pass@20': 93.78 } },
  { pipeline: 'Contextual embeddings + contextual BM25', metrics: { 'Pass@5': 86.43, 'Pass@10': 93.21, 'Pass@20': 94.99 } },
  { pipeline: '… + Cohere re-ranking', metrics: { 'Pass@5': 91.24, 'Pass@10': 94.79, 'Pass@20': 96.3 } },
];

function writeIfChanged(path: string, text: string): void {
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
  writeFileSync(path, text);
}

/** A qbank configuration for a peer corpus: its own corpus copy, index and embedding cache. */
function peerConfig(config: Config, dataDir: string, jsonFields: JsonFieldMap): Config {
  const corpusDir = join(dataDir, 'corpus');
  mkdirSync(corpusDir, { recursive: true });
  return { ...config, corpusDir, dataDir, store: { kind: 'sqlite', path: join(dataDir, 'index.sqlite') }, jsonFields };
}

async function withSearch<T>(config: Config, progressStream: NodeJS.WritableStream | undefined, run: (search: (q: string, k: number, mode: SearchMode) => Promise<{ records: string[]; ms: number }>) => Promise<T>): Promise<T> {
  await runIngest(config, { rebuild: false, progress: progressStream });
  const embedder = new CachedEmbedder(createEmbedder(config), new EmbeddingCache(join(config.dataDir, 'embed-cache.sqlite')), { queryCacheSize: 0 });
  const store = await openStore(config, embedder, { readonly: true });
  try {
    const searcher = createSearcher(config, store, embedder);
    await searcher.search({ query: 'warm up', k: 3 });
    return await run(async (q, k, mode) => {
      const t = performance.now();
      const r = await searcher.search({ query: q, k, mode });
      return { records: rankedRecords(r.results, k), ms: performance.now() - t };
    });
  } finally {
    await store.close();
    await embedder.close();
  }
}

/**
 * The records a search returned, best first, as the benchmarks count them: each result's record,
 * then the records folded into it as near-duplicates (they are in the response too, so each
 * takes its own place in the top k), without repeats (a long record's parts are one record).
 */
export function rankedRecords(results: readonly { id: string; duplicates?: string[] }[], k: number): string[] {
  const out: string[] = [];
  for (const r of results) {
    for (const id of [r.id, ...(r.duplicates ?? [])]) {
      const record = recordId(id);
      if (!out.includes(record)) out.push(record);
    }
  }
  return out.slice(0, k);
}

/** The record id of a JSON-chunk id (`<file>#<record id>`, `~p<n>` for a part, `~<n>` for a repeated id). */
export function recordId(chunkId: string): string {
  return chunkId.slice(chunkId.indexOf('#') + 1).replace(/~p\d+$/, '').replace(/~\d+$/, '');
}

interface CodebaseDocument {
  doc_id: string;
  original_uuid: string;
  content: string;
  chunks: { chunk_id: string; original_index: number; content: string }[];
}

/**
 * The codebase chunks as qbank JSON records, id `<doc uuid>:<chunk index>`, each with the
 * declarations enclosing it in its document as its section path, or for top-level code the
 * names the document declares (`ingest/code-context.ts`): the offline counterpart of the
 * cookbook's contextual chunk headers. Empty chunks are left out.
 */
export function codebaseRecords(docs: readonly Pick<CodebaseDocument, 'original_uuid' | 'content' | 'chunks'>[]): { id: string; text: string; section?: string[] }[] {
  const out: { id: string; text: string; section?: string[] }[] = [];
  for (const d of docs) {
    let from = 0;
    const declares = topLevelNames(d.content).join(', ');
    for (const ch of d.chunks) {
      if (ch.content.trim() === '') continue;
      const record: { id: string; text: string; section?: string[] } = { id: `${d.original_uuid}:${ch.original_index}`, text: ch.content };
      const at = d.content.indexOf(ch.content, from);
      if (at >= 0) {
        from = at;
        const scopes = enclosingScopes(d.content, at);
        if (scopes.length > 0) record.section = scopes;
        else if (declares) record.section = [declares];
      }
      out.push(record);
    }
  }
  return out;
}

export async function runPeer(name: PeerName, config: Config, peerDir: string, dataDir: string, progress: Progress, progressStream?: NodeJS.WritableStream): Promise<PeerReport> {
  return name === 'anthropic-docs' ? peerDocs(config, join(peerDir, 'anthropic-docs-rag'), dataDir, progress, progressStream) : peerCodebase(config, join(peerDir, 'anthropic-codebase'), dataDir, progress, progressStream);
}

async function peerDocs(config: Config, dir: string, dataDir: string, progress: Progress, progressStream?: NodeJS.WritableStream): Promise<PeerReport> {
  // chunk_link is the section's URL: its path names the page, which the heading alone does not ("FAQ").
  const c = peerConfig(config, dataDir, { id: 'chunk_link', title: 'chunk_heading', text: 'text', url: 'chunk_link' });
  writeIfChanged(join(c.corpusDir, 'anthropic_docs.json'), readFileSync(join(dir, 'anthropic_docs.json'), 'utf8'));
  const questions = JSON.parse(readFileSync(join(dir, 'docs_evaluation_dataset.json'), 'utf8')) as { id: string; question: string; correct_chunks: string[] }[];
  const rows: PeerReport['rows'] = PUBLISHED_DOCS.map((p) => ({ pipeline: p.pipeline, published: true, metrics: p.metrics }));
  let latency: LatencyFigures | undefined;
  await withSearch(c, progressStream, async (search) => {
    for (const mode of [...SEARCH_MODES].reverse()) {
      progress.start(`anthropic-docs · qbank ${MODE_NAMES[mode]}`, questions.length);
      const per: { precision: number; recall: number; mrr: number }[] = [];
      const times: number[] = [];
      for (const q of questions) {
        const r = await search(q.question, 3, mode);
        times.push(r.ms);
        per.push(docsQuestionMetrics(r.records, q.correct_chunks));
        progress.tick();
      }
      progress.stop();
      if (mode === 'rerank') latency = latencyFigures(times);
      rows.push({ pipeline: `qbank ${MODE_NAMES[mode]}${mode === 'rerank' ? ' (default)' : ''}`, published: false, metrics: docsAverages(per) });
    }
  });
  const report: PeerReport = {
    name: 'anthropic-docs',
    corpus: `${dir}/anthropic_docs.json (232 sections; id=url=chunk_link, title=chunk_heading, text=text)`,
    queries: questions.length,
    k: 3,
    rows,
    targets: { 'recall@3': 0.75, 'MRR@3': 0.87 },
    notes: [
      'Metrics as the cookbook computes them: per-question precision/recall over the top 3 links and MRR, averaged; F1 from the averaged precision and recall.',
      'Each section is embedded and indexed with the page its chunk_link names (its contextual header); a section folded into a result as a near-duplicate counts in its own place.',
      `Embedder ${config.embedder.kind === 'local' ? config.embedder.model : config.embedder.model} (published rows: voyage-2, Claude 3 Haiku).`,
    ],
  };
  if (latency) report.latencyMs = latency;
  return report;
}

async function peerCodebase(config: Config, dir: string, dataDir: string, progress: Progress, progressStream?: NodeJS.WritableStream): Promise<PeerReport> {
  const c = peerConfig(config, dataDir, { id: 'id', title: 'title', text: 'text', url: 'url', section: 'section' });
  const docs = JSON.parse(readFileSync(join(dir, 'codebase_chunks.json'), 'utf8')) as CodebaseDocument[];
  const content = new Map<string, string>();
  for (const d of docs) for (const ch of d.chunks) content.set(`${d.original_uuid}:${ch.original_index}`, ch.content);
  const records = codebaseRecords(docs);
  const empty = content.size - records.length;
  writeIfChanged(join(c.corpusDir, 'codebase_chunks.json'), JSON.stringify(records));
  const queries = readFileSync(join(dir, 'evaluation_set.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { query: string; golden_chunk_uuids: string | [string, number][] });
  const rows: PeerReport['rows'] = PUBLISHED_CODEBASE.map((p) => ({ pipeline: p.pipeline, published: true, metrics: p.metrics }));
  let latency: LatencyFigures | undefined;
  await withSearch(c, progressStream, async (search) => {
    for (const mode of [...SEARCH_MODES].reverse()) {
      progress.start(`anthropic-codebase · qbank ${MODE_NAMES[mode]}`, queries.length);
      const sums = { 5: 0, 10: 0, 20: 0 };
      const times: number[] = [];
      for (const q of queries) {
        const golden = parsePythonPairs(q.golden_chunk_uuids).map(([uuid, index]) => content.get(`${uuid}:${index}`) ?? '');
        const r = await search(q.query, 20, mode);
        times.push(r.ms);
        const retrieved = r.records.map((id) => content.get(id) ?? '');
        for (const k of [5, 10, 20] as const) sums[k] += passAtK(retrieved, golden, k);
        progress.tick();
      }
      progress.stop();
      if (mode === 'rerank') latency = latencyFigures(times);
      rows.push({ pipeline: `qbank ${MODE_NAMES[mode]}${mode === 'rerank' ? ' (default)' : ''}`, published: false, metrics: { 'Pass@5': (100 * sums[5]) / queries.length, 'Pass@10': (100 * sums[10]) / queries.length, 'Pass@20': (100 * sums[20]) / queries.length } });
    }
  });
  const report: PeerReport = {
    name: 'anthropic-codebase',
    corpus: `${dir}/codebase_chunks.json (${records.length} chunks as JSON records id=<doc uuid>:<chunk index>, section=the enclosing scopes in their document)`,
    queries: queries.length,
    k: 20,
    rows,
    targets: { 'Pass@5': 91.2 },
    notes: [
      'Pass@k as the cookbook computes it: per query, the share of its golden chunks whose content is among the top-k retrieved contents, averaged, in percent.',
      'Each chunk is embedded and indexed with the declarations that enclose it in its file (class, function), found by indentation, or for top-level code with the names the file declares; a chunk folded into a result as a near-duplicate counts in its own place.',
      ...(empty > 0 ? [`${empty} empty chunk(s) could not be indexed.`] : []),
    ],
  };
  if (latency) report.latencyMs = latency;
  return report;
}
