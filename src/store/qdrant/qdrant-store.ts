import { randomBytes, randomInt } from 'node:crypto';
import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import type { Chunk, FileRecord, StoredChunk } from '../../ports/chunk.js';
import type { IndexChange, IndexInfo, ScoredId, SearchFilter, Store, TermStatistics } from '../../ports/store.js';
import { IndexMismatchError, IndexUnavailableError, InvalidInputError, QbankError } from '../../errors.js';
import { idf, saturation, sparseVector, termFromKey, termKey, termFrequencies, documentLength } from './bm25-weights.js';
import { bodyPayload, CHUNK_FIELDS, chunkPayload, decodeVector, payloadToChunk, termFrequencyEntries, termFrequencyOf, type ChunkPayload } from './chunk-payload.js';
import { BodyCache, type Body } from './body-cache.js';
import { JsonHttp, QdrantRequestError } from './json-http.js';
import { pointId } from './point-id.js';
import { MATCHES_NOTHING, toQdrantFilter } from './qdrant-filter.js';
import { TickBatch } from './tick-batch.js';

export { QdrantRequestError } from './json-http.js';

/**
 * Version of the collection layout (vector names, payload fields, point ids, term hashing);
 * bump it whenever one changes, so an old collection is refused instead of misread.
 * 2: a chunk is a search point and a body point, `tf` is a string, the body holds `vec`
 * (see `chunk-payload.ts`).
 */
export const QDRANT_SCHEMA_VERSION = 2;

/**
 * How to reach and lay out a Qdrant collection.
 *
 * @example
 * const store = await QdrantStore.connect({
 *   url: 'http://127.0.0.1:6333', collection: 'qbank', shardNumber: 1, replicationFactor: 1,
 *   embedderId: embedder.id, dimensions: embedder.dimensions,
 * });
 */
export interface QdrantStoreOptions {
  /** Qdrant's HTTP endpoint, e.g. http://127.0.0.1:6333. */
  url: string;
  apiKey?: string;
  /**
   * The name qbank reads and writes. qbank creates it as an alias of a physical collection
   * (`<name>_<stamp>`), so `rebuild` can swap in a new collection atomically; an existing plain
   * collection of that name is used as it is.
   */
  collection: string;
  /** Shards of a new collection, 1–1024 (spread over the nodes of a cluster). Ignored for an existing one. */
  shardNumber: number;
  /** Copies of each shard in a new collection, 1–16. Ignored for an existing one. */
  replicationFactor: number;
  /** Id of the embedder that makes the vectors; a collection built with another one is refused. */
  embedderId: string;
  /** Length of every vector, 1–65536. */
  dimensions: number;
  /** Drop the collection (and its alias) first and start empty. Default `false`. */
  recreate?: boolean;
  /**
   * Write into a new physical collection that replaces the current one only when `publish()` is
   * called (an atomic alias swap); `close()` without `publish()` drops it. Default `false`.
   */
  rebuild?: boolean;
  /** Open for searching only: a missing collection is an error instead of being created, `apply` is refused. Default `false`. */
  readonly?: boolean;
  /** HNSW beam width at query time, 1–10000; raised to the limit when smaller. Default 128. */
  hnswEf?: number;
  /** Exact (brute-force) vector search instead of HNSW. Default `false`. */
  exactVectorSearch?: boolean;
  /** Per-request deadline, ms, 100–600000. Default 30000. */
  timeoutMs?: number;
  /**
   * Transport of search-path requests (query, retrieve): `'keep-alive'` (default) is `node:http`
   * with kept-alive sockets and uncompressed answers; `'client'` uses the official client's
   * `fetch`, for comparison (see `bench/stores.ts`).
   */
  transport?: 'keep-alive' | 'client';
  /**
   * Send searches started together (the searcher's keyword and vector search) as one batch
   * request, and chunk and vector lookups started together as one retrieve. Default `true`;
   * `false` sends each on its own, for comparison (see `bench/stores.ts`).
   */
  batchReads?: boolean;
  /**
   * Chunks (with their vectors) kept in memory after a lookup, 0–1000000, so that a search whose
   * candidates were all read before makes no third request; each is served only while the BM25
   * statistics it was read with are current (see `BodyCache`). About 7 kB each for 384-dimensional
   * vectors and passages of a thousand characters. Default 2048; 0 keeps none.
   */
  bodyCacheSize?: number;
  /** Points per upsert request, 1–10000. Default 256. */
  writeBatchSize?: number;
  /** Upsert requests in flight during `apply`, 1–64. Default 4. */
  writeConcurrency?: number;
}

/** What the collection's metadata records about how it was built. */
interface CollectionMeta {
  schemaVersion: number;
  embedderId: string;
  dimensions: number;
}

/** The BM25 statistics point. */
interface Bm25Stats {
  doc: 'stats';
  /** Chunks in the index (with or without terms): BM25's N. */
  docCount: number;
  /** Sum of the chunks' lengths in terms. */
  totalLength: number;
  /** Smallest and largest avgdl any live chunk's sparse weights were computed with. */
  minAvgdl: number;
  maxAvgdl: number;
  /** Set while an `apply` runs; found set at the next `apply`, the statistics are recomputed. */
  dirty: boolean;
  /**
   * Raised by every write of this point, so a reader can tell that the statistics it holds are
   * still the current ones (absent: 0). A new collection starts at a random value (see
   * `initialStats`): a rebuild's collection would otherwise reach the very version of the one it
   * replaces, and readers would go on using the replaced collection's statistics and bodies.
   */
  version?: number;
}

const STATS_ID = pointId('stats', 'bm25');
/** The statistics point of a new, empty collection, at a random version (below 2^48, so raising it stays exact). */
function initialStats(): Bm25Stats {
  return { doc: 'stats', docCount: 0, totalLength: 0, minAvgdl: 0, maxAvgdl: 0, dirty: false, version: randomInt(2 ** 47) };
}
const DENSE = 'dense';
const SPARSE = 'bm25';
/**
 * Relative error of one float32 rounding, doubled for safety. Qdrant stores sparse weights and
 * sums their products in float32, so an approximate score is off by at most (terms + 3) of these.
 */
const FLOAT32_ROUNDING = 1.2e-7;
/**
 * `apply` rewrites the sparse weights of chunks whose avgdl is this much below the current one,
 * so that stored weights are never more than 1 % too small (see `keywordSearch`). Smaller
 * rewrites more often on ingest; larger widens the band in which keyword search must fetch more
 * candidates.
 */
const MAX_DRIFT = 1.01;
const MAX_DIMENSIONS = 65_536;
/** Qdrant's default `indexing_threshold` (kB of vectors in a segment before it gets an HNSW graph). */
const QDRANT_INDEXING_THRESHOLD = 10_000;
const PAGE = 1000;
/** Points per upsert request of term, file and statistics points (a few dozen bytes each). */
const SMALL_POINT_BATCH = 4096;

type Filter = Schemas['Filter'];
type ScoredPoint = Schemas['ScoredPoint'];
type PointRecord = Schemas['Record'];

/** How long BM25 statistics are reused after they were last seen current, ms, and how many terms are kept at most. */
const STATS_TTL_MS = 1000;
const STATS_CACHE_TERMS = 100_000;
/** A collection with at most this many terms has its whole term table read into the cache. */
const TERM_TABLE_MAX = 50_000;

interface TermStatsRead {
  stats: Bm25Stats;
  /** Document frequencies of the terms asked that some chunk holds. */
  df: Map<string, number>;
}

/**
 * Statistics read from Qdrant, all of one version of the statistics point, which was last seen
 * current at `checkedAt`.
 */
interface StatsCache {
  stats: Bm25Stats;
  checkedAt: number;
  /** Document frequency by term, 0 for a term no chunk holds; `complete`: every term of the index is here. */
  df: Map<string, number>;
  complete: boolean;
  generation: number;
}

/** A chunk or vector lookup, with the statistics that were current when it was made (see `BodyCache`). */
interface Lookup {
  ids: readonly string[];
  want: 'chunk' | 'vector';
  epoch: StatsCache | undefined;
}

/** Search-path requests, over either transport. */
interface Reads {
  query(collection: string, body: Schemas['QueryRequest'], operation: string): Promise<ScoredPoint[]>;
  /** Several queries in one request (`/points/query/batch`), answered in order. */
  queryBatch(collection: string, bodies: Schemas['QueryRequest'][], operation: string): Promise<ScoredPoint[][]>;
  retrieve(collection: string, body: Schemas['PointRequest'], operation: string): Promise<PointRecord[]>;
  close(): void;
}

/**
 * The scale-out index: one Qdrant collection holding, as points,
 * - per chunk, a search point with the named dense vector `dense` (cosine), the sparse vector
 *   `bm25` of BM25 tf weights and the fields searches read, and a body point with the chunk
 *   itself (see `chunk-payload.ts`); ids = UUID v5 of the chunk id;
 * - file records, the per-term document frequencies and one BM25 statistics point (no vectors).
 * The embedder id, dimensions and schema version are in the collection's metadata.
 *
 * Keyword search ranks candidates in Qdrant (sparse dot product of tf weights and the query's idf
 * weights), then recomputes each candidate's exact BM25 in float64 from its payload, and widens
 * the candidate set until no unseen chunk can beat the k-th (see `keywordSearch`). Scores equal
 * the SQLite store's.
 *
 * Consistency: Qdrant has no multi-point transactions. `apply` validates the whole change first,
 * so a bad change writes nothing, and changes from this process run one after another. While a
 * change is being written, other readers can see it partly: a file's new chunks next to its old
 * ones (never a file with neither), and BM25 statistics of before or after; a connection reuses
 * statistics, and the chunks and vectors read with them, for up to a second after it last saw
 * them current, so another process's change shows within a second. Use `rebuild` for an
 * all-or-nothing switch. Run one writer (ingest) at a time per collection; an interrupted one
 * leaves the statistics marked dirty and the next `apply` recomputes them from the chunks.
 *
 * Reads the searcher starts side by side — keyword and vector search, then the chunks and vectors
 * of the fused candidates — go out as one request each (see `TickBatch`). Chunks and vectors read
 * are kept for as long as the statistics they were read with (see `BodyCache`): a search whose
 * candidates were all read before needs no third request.
 *
 * @example
 * const store = await QdrantStore.connect({ url, collection: 'qbank', shardNumber: 2, replicationFactor: 2, embedderId: e.id, dimensions: e.dimensions });
 * const hits = await store.keywordSearch(['attent', 'gqa'], 10, { difficulty: ['hard'] });
 */
export class QdrantStore implements Store {
  readonly kind = 'qdrant';
  /** The name requests address: the alias (or plain collection), or the new collection of a rebuild. */
  readonly collection: string;
  private readonly client: QdrantClient;
  private readonly reads: Reads;
  private readonly options: QdrantStoreOptions;
  private readonly meta: CollectionMeta;
  private readonly where: string;
  /** What this connection did, for benchmarks and logs; `readRequests` counts the requests of searches and lookups. */
  readonly counters = { keywordSearches: 0, candidateRounds: 0, reweightedChunks: 0, readRequests: 0 };
  private writeQueue: Promise<unknown> = Promise.resolve();
  /** Queries started together (the searcher's keyword and vector search) go out as one request. */
  private readonly queries: TickBatch<{ body: Schemas['QueryRequest']; operation: string }, ScoredPoint[]>;
  /** Chunk and vector lookups started together (the searcher's `getChunks` and `getVectors`) go out as one retrieve. */
  private readonly lookups: TickBatch<Lookup, Map<string, Body>>;
  /** Bodies read while the statistics held were current, valid while they stay so (see `BodyCache`). */
  private readonly bodies: BodyCache<StatsCache>;
  /** Recently read BM25 statistics (see `readTermStats`). */
  private statsCache: StatsCache | undefined;
  /** Whether the whole term table is read into the cache (see `loadTermTable`). */
  private termTable: 'unknown' | 'loading' | 'fits' | 'too large' = 'unknown';
  /** Counts this connection's changes; a statistics read from before one is not cached. */
  private generation = 0;
  private closed = false;
  private published = false;

  private constructor(client: QdrantClient, reads: Reads, collection: string, meta: CollectionMeta, options: QdrantStoreOptions) {
    this.client = client;
    const counted = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => (...args: A): Promise<R> => {
      this.counters.readRequests++;
      return fn(...args);
    };
    this.reads = { query: counted(reads.query), queryBatch: counted(reads.queryBatch), retrieve: counted(reads.retrieve), close: () => reads.close() };
    this.collection = collection;
    this.meta = meta;
    this.options = options;
    this.where = `Qdrant ${options.url}, collection "${options.collection}"`;
    const batched = options.batchReads ?? true;
    this.queries = new TickBatch((requests) => this.sendQueries(requests), batched);
    this.lookups = new TickBatch((requests) => this.sendLookups(requests), batched);
    this.bodies = new BodyCache(options.bodyCacheSize ?? 2048);
  }

  /**
   * Connects to the collection, creating it (and its alias) when missing.
   *
   * @throws IndexMismatchError when the collection was built with another embedder, dimensions or schema.
   * @throws IndexUnavailableError when Qdrant cannot be reached or the collection is not a qbank index.
   */
  static async connect(options: QdrantStoreOptions): Promise<QdrantStore> {
    validateOptions(options);
    const expected: CollectionMeta = { schemaVersion: QDRANT_SCHEMA_VERSION, embedderId: options.embedderId, dimensions: options.dimensions };
    const where = `Qdrant ${options.url}, collection "${options.collection}"`;
    const client = new QdrantClient({
      url: options.url,
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
      timeout: options.timeoutMs ?? 30_000,
      checkCompatibility: false,
      // See json-http.ts: a compressed answer costs ~40 ms of delayed ACK per call.
      headers: { 'accept-encoding': 'identity' },
    });
    const admin = new Admin(client, options.url);
    const name = options.collection;
    try {
      let target = await admin.aliasTarget(name);
      let plain = target === undefined && (await admin.exists(name));
      if (options.recreate && (target !== undefined || plain)) {
        if (target !== undefined) {
          await admin.run('delete the alias', () => client.updateCollectionAliases({ actions: [{ delete_alias: { alias_name: name } }] }));
          await admin.run('delete the collection', () => client.deleteCollection(target as string));
        } else await admin.run('delete the collection', () => client.deleteCollection(name));
        target = undefined;
        plain = false;
      }
      if (options.rebuild) {
        const fresh = physicalName(name);
        await admin.createCollection(fresh, options, expected);
        return new QdrantStore(client, makeReads(client, options), fresh, expected, options);
      }
      if (target === undefined && !plain && options.readonly) {
        throw new IndexUnavailableError(where, 'the collection does not exist yet; build it with: npx qbank ingest');
      }
      if (target === undefined && !plain) {
        // The first collection has a fixed name: creating a collection fails when it exists,
        // so of several processes starting at once exactly one creates it (creating an alias
        // would not tell: it silently re-points an existing one).
        target = `${name}_0`;
        await admin.createCollection(target, options, expected, { existing: 'wait' });
        await admin.run('create the alias', () => client.updateCollectionAliases({ actions: [{ create_alias: { alias_name: name, collection_name: target as string } }] }));
      }
      const found = await admin.meta(target ?? name);
      if (found === undefined) {
        throw new IndexUnavailableError(where, 'the collection exists but is not a qbank index (its metadata has no "qbank" entry); pick another QDRANT_COLLECTION');
      }
      if (found.schemaVersion !== expected.schemaVersion || found.embedderId !== expected.embedderId || found.dimensions !== expected.dimensions) {
        throw new IndexMismatchError(where, found, expected);
      }
      return new QdrantStore(client, makeReads(client, options), name, found, options);
    } catch (err) {
      if (err instanceof QdrantRequestError && err.status === undefined) {
        throw new IndexUnavailableError(where, `Qdrant cannot be reached (${err.message})`, { cause: err });
      }
      throw err;
    }
  }

  async info(): Promise<IndexInfo> {
    const [chunks, files] = await Promise.all([this.count('chunk'), this.count('file')]);
    return { ...this.meta, chunkCount: chunks, fileCount: files };
  }

  async listFiles(): Promise<FileRecord[]> {
    const out: FileRecord[] = [];
    await this.scrollAll(docFilter('file'), ['file', 'hash', 'chunkCount'], (points) => {
      for (const p of points) out.push({ file: p.payload?.['file'] as string, hash: p.payload?.['hash'] as string, chunkCount: p.payload?.['chunkCount'] as number });
    });
    return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  }

  async getChunks(ids: readonly string[]): Promise<Chunk[]> {
    if (ids.length === 0) return [];
    const epoch = this.currentEpoch(Date.now());
    const cached = new Map<string, Chunk>();
    for (const id of ids) {
      const chunk = epoch ? this.bodies.chunk(id, epoch) : undefined;
      if (chunk !== undefined) cached.set(id, chunk);
    }
    const missing = ids.filter((id) => !cached.has(id));
    const read = missing.length > 0 ? await this.lookups.add({ ids: missing, want: 'chunk', epoch }) : new Map<string, Body>();
    const out: Chunk[] = [];
    for (const id of ids) {
      const chunk = cached.get(id) ?? read.get(id)?.chunk;
      if (chunk !== undefined) out.push(chunk);
    }
    return out;
  }

  async chunksOfFile(file: string): Promise<Chunk[]> {
    const rows: { chunk: Chunk; ord: number }[] = [];
    const filter: Filter = { must: [docCondition('body'), { key: 'file', match: { value: file } }] };
    await this.scrollAll(filter, [...CHUNK_FIELDS, 'ord'], (points) => {
      for (const p of points) if (p.payload) rows.push({ chunk: payloadToChunk(p.payload), ord: p.payload['ord'] as number });
    });
    rows.sort((a, b) => a.chunk.start - b.chunk.start || a.chunk.end - b.chunk.end || a.ord - b.ord);
    return rows.map((r) => r.chunk);
  }

  /**
   * BM25 over the analysed terms, exactly as the SQLite store scores it:
   * 1. one retrieve reads the statistics point and the query terms' document frequencies;
   * 2. Qdrant ranks chunks by sparse dot product: stored tf weights (computed with the avgdl of
   *    their write, `a₀`) times query weights count·idf;
   * 3. each candidate's exact score is recomputed in float64 from its payload (`len`, `tf`)
   *    with the current avgdl `a`.
   * A stored weight is at most d = max(1, a / min a₀) times too small (`apply` keeps d ≤ 1.01 by
   * rewriting stale weights), and Qdrant's float32 score is off by at most ε relative, so a chunk
   * left out scores at most (last candidate's score)·d/(1 − ε). The search stops when that is not
   * above the k-th exact score give or take 2ε: exact ties, and near-ties float32 cannot tell
   * apart, may go either way, as ties do in SQLite. Otherwise the candidate set grows fourfold and
   * step 2 runs again.
   */
  async keywordSearch(terms: readonly string[], limit: number, filter?: SearchFilter): Promise<ScoredId[]> {
    const k = Math.floor(limit);
    const counts = termFrequencies(terms);
    if (counts.size === 0 || !(k >= 1)) return [];
    const qf = toQdrantFilter(filter);
    if (qf === MATCHES_NOTHING) return [];

    const queryTerms = [...counts.keys()];
    // Statistics the searcher has just read come from the cache without an await, so that the
    // query below joins a vector search started beside this one in one request.
    const { stats, df } = this.cachedTermStats(queryTerms, Date.now()) ?? (await this.readTermStats(queryTerms));
    const weights = new Map<string, { key: string; weight: number }>();
    for (const t of queryTerms) {
      const n = df.get(t);
      if (n !== undefined && n > 0) weights.set(t, { key: termKey(t), weight: (counts.get(t) ?? 0) * idf(stats.docCount, n) });
    }
    if (weights.size === 0) return [];

    const avgdl = stats.docCount > 0 ? stats.totalLength / stats.docCount : 0;
    const drift = stats.minAvgdl > 0 ? Math.max(1, avgdl / stats.minAvgdl) : 1;
    const epsilon = (weights.size + 3) * FLOAT32_ROUNDING;
    const query = sparseVector([...weights].map(([t, w]) => [t, w.weight] as const));
    // With no stale weights, Qdrant's order is the exact order up to float32 near-ties: a small
    // margin suffices. Stale weights can move a chunk by up to the drift factor: take more.
    let fetch = drift === 1 ? k + 8 : Math.max(2 * k, k + 16);
    this.counters.keywordSearches++;
    for (;;) {
      this.counters.candidateRounds++;
      const points = await this.queries.add({
        body: { query, using: SPARSE, limit: fetch, with_payload: { include: ['id', 'len', 'tf'] }, ...(qf ? { filter: qf } : {}) },
        operation: 'a keyword search',
      });
      const scored: ScoredId[] = [];
      for (const p of points) {
        const payload = p.payload ?? {};
        const tf = (payload['tf'] ?? '') as string;
        const len = payload['len'] as number;
        let score = 0;
        for (const w of weights.values()) {
          const f = termFrequencyOf(tf, w.key);
          if (f > 0) score += w.weight * saturation(f, len, avgdl);
        }
        if (score > 0) scored.push({ id: payload['id'] as string, score });
      }
      scored.sort(byScoreThenId);
      const last = points.at(-1)?.score ?? 0;
      const kth = scored[k - 1]?.score;
      if (points.length < fetch || (kth !== undefined && (last * drift) / (1 - epsilon) <= kth * (1 + 2 * epsilon)) || fetch >= stats.docCount) {
        return scored.slice(0, k);
      }
      fetch *= 4;
    }
  }

  async termStatistics(terms: readonly string[]): Promise<TermStatistics> {
    const unique = [...new Set(terms)].filter((t) => t !== '');
    const { stats, df } = this.cachedTermStats(unique, Date.now()) ?? (await this.readTermStats(unique));
    return { docCount: stats.docCount, df: new Map(df) };
  }

  /**
   * The statistics point and the document frequencies of `terms`, in one retrieve. When the
   * statistics point is still the version the cache holds, the cache is confirmed current and
   * learns these terms; otherwise it starts over with them, and the whole term table is read in
   * the background (see `loadTermTable`). Scores are exact for the statistics read.
   */
  private async readTermStats(terms: readonly string[]): Promise<TermStatsRead> {
    const started = Date.now();
    const read = await this.fetchTermStats(terms);
    const c = this.statsCache;
    if (read.stats.dirty || read.generation !== this.generation) {
      // A change is being written (here or elsewhere): its statistics are not kept.
      this.statsCache = undefined;
    } else if (c !== undefined && c.generation === this.generation && !c.stats.dirty && (c.stats.version ?? 0) === (read.stats.version ?? 0)) {
      c.checkedAt = Math.max(c.checkedAt, started);
      if (!c.complete) {
        if (c.df.size > STATS_CACHE_TERMS) c.df.clear();
        for (const t of terms) c.df.set(t, read.df.get(t) ?? 0);
      }
    } else {
      const fresh: StatsCache = { stats: read.stats, checkedAt: started, df: new Map(terms.map((t) => [t, read.df.get(t) ?? 0])), complete: false, generation: this.generation };
      this.statsCache = fresh;
      // Bodies of earlier statistics are never served again: free them at once.
      this.bodies.clear();
      void this.loadTermTable(fresh);
    }
    return { stats: read.stats, df: read.df };
  }

  /**
   * The statistics of `terms` from the cache, without a request, when it was seen current in the
   * last second and knows every one of the terms. The searcher asks for a query's statistics and
   * then searches with the same terms; frequent terms recur across queries; and once the whole
   * term table is cached, every term is known. That no chunk holds a term is reused too (70 % of
   * the development set's questions hold such a term): whatever another process changes shows
   * within a second.
   */
  private cachedTermStats(terms: readonly string[], now: number): TermStatsRead | undefined {
    const c = this.statsCache;
    if (c === undefined || c.generation !== this.generation || now - c.checkedAt > STATS_TTL_MS) return undefined;
    const df = new Map<string, number>();
    for (const t of terms) {
      const n = c.df.get(t);
      if (n === undefined && !c.complete) return undefined;
      if (n !== undefined && n > 0) df.set(t, n);
    }
    return { stats: c.stats, df };
  }

  /**
   * Reads every term's document frequency into `target`, in the background, when the collection
   * holds at most `TERM_TABLE_MAX` terms (the bank's own index: a few thousand), so that later
   * searches find every term cached. Kept only if the statistics did not change meanwhile.
   */
  private async loadTermTable(target: StatsCache): Promise<void> {
    if (this.termTable !== 'unknown' && this.termTable !== 'fits') return;
    this.termTable = 'loading';
    try {
      const terms = await this.count('term');
      if (terms > TERM_TABLE_MAX) {
        this.termTable = 'too large';
        return;
      }
      const df = new Map<string, number>();
      await this.scrollAll(docFilter('term'), ['term', 'df'], (points) => {
        if (this.closed || this.statsCache !== target) throw new TermTableOutdated();
        for (const p of points) df.set(p.payload?.['term'] as string, p.payload?.['df'] as number);
      });
      const admin = new Admin(this.client, this.options.url);
      const [point] = await admin.run('read the statistics point', () => this.client.retrieve(this.collection, { ids: [STATS_ID], with_payload: true, with_vector: false }));
      const now = (point?.payload ?? { dirty: true }) as unknown as Bm25Stats;
      if (this.statsCache === target && target.generation === this.generation && !now.dirty && (now.version ?? 0) === (target.stats.version ?? 0)) {
        target.df = df;
        target.complete = true;
      }
      this.termTable = 'fits';
    } catch {
      // Outdated, closed or failed: searches go on reading the terms they need.
      this.termTable = 'fits';
    }
  }

  private async fetchTermStats(terms: readonly string[]): Promise<TermStatsRead & { generation: number }> {
    const generation = this.generation;
    const records = await this.reads.retrieve(
      this.collection,
      { ids: [STATS_ID, ...terms.map((t) => pointId('term', t))], with_payload: true, with_vector: false },
      'a read of BM25 statistics',
    );
    let stats: Bm25Stats | undefined;
    const df = new Map<string, number>();
    for (const r of records) {
      if (r.payload?.['doc'] === 'stats') stats = r.payload as unknown as Bm25Stats;
      else if (r.payload?.['doc'] === 'term') df.set(r.payload['term'] as string, r.payload['df'] as number);
    }
    if (stats === undefined) throw new IndexUnavailableError(this.where, 'its BM25 statistics point is missing; rebuild it with: npx qbank ingest --rebuild');
    return { stats, df, generation };
  }

  async vectorSearch(vector: Float32Array, limit: number, filter?: SearchFilter): Promise<ScoredId[]> {
    this.checkVector(vector, 'The query vector');
    const k = Math.floor(limit);
    if (!(k >= 1)) return [];
    const qf = toQdrantFilter(filter);
    if (qf === MATCHES_NOTHING) return [];
    const points = await this.queries.add({
      body: {
        query: Array.from(vector),
        using: DENSE,
        limit: k,
        with_payload: { include: ['id'] },
        params: this.options.exactVectorSearch ? { exact: true } : { hnsw_ef: Math.max(this.options.hnswEf ?? 128, k) },
        ...(qf ? { filter: qf } : {}),
      },
      operation: 'a vector search',
    });
    return points.map((p) => ({ id: p.payload?.['id'] as string, score: p.score })).sort(byScoreThenId);
  }

  async getVectors(ids: readonly string[]): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    if (ids.length === 0) return out;
    const epoch = this.currentEpoch(Date.now());
    for (const id of ids) {
      const vector = epoch ? this.bodies.vector(id, epoch) : undefined;
      if (vector !== undefined) out.set(id, vector);
    }
    const missing = ids.filter((id) => !out.has(id));
    const read = missing.length > 0 ? await this.lookups.add({ ids: missing, want: 'vector', epoch }) : new Map<string, Body>();
    const found = new Map<string, Float32Array>();
    for (const id of ids) {
      const vector = out.get(id) ?? read.get(id)?.vector;
      if (vector !== undefined) found.set(id, vector);
    }
    return found;
  }

  /**
   * The statistics this connection holds when they were seen current within the last second:
   * what a body read now is valid for (see `BodyCache`); `undefined` when bodies are not cached.
   */
  private currentEpoch(now: number): StatsCache | undefined {
    const c = this.statsCache;
    if (this.bodies.maxEntries === 0 || c === undefined || c.generation !== this.generation || now - c.checkedAt > STATS_TTL_MS) return undefined;
    return c;
  }

  /**
   * One retrieve for the lookups started together: the chunk fields if any lookup wants chunks,
   * `vec` if any wants vectors. Each lookup gets the bodies of its ids, by chunk id. What was read
   * in a current epoch is cached, if the epoch is still current when the answer comes.
   */
  private async sendLookups(requests: Lookup[]): Promise<PromiseSettledResult<Map<string, Body>>[]> {
    const bodyOf = new Map<string, string>();
    for (const r of requests) for (const id of r.ids) if (!bodyOf.has(id)) bodyOf.set(id, pointId('body', id));
    const wantChunks = requests.some((r) => r.want === 'chunk');
    const wantVectors = requests.some((r) => r.want === 'vector');
    const include: string[] = wantChunks ? [...CHUNK_FIELDS] : [];
    if (wantVectors) include.push('vec');
    const records = await this.reads.retrieve(
      this.collection,
      { ids: [...bodyOf.values()], with_payload: { include }, with_vector: false },
      wantChunks && wantVectors ? 'a chunk and vector lookup' : wantChunks ? 'a chunk lookup' : 'a vector lookup',
    );
    const byPoint = new Map<string, Record<string, unknown>>();
    for (const r of records) if (r.payload) byPoint.set(String(r.id), r.payload);
    // Lookups sent together share an epoch unless the statistics were re-read between them: keep none then.
    const epoch = requests[0]?.epoch;
    const cacheable = epoch !== undefined && requests.every((r) => r.epoch === epoch) && this.statsCache === epoch;
    const all = new Map<string, Body>();
    for (const [id, point] of bodyOf) {
      const payload = byPoint.get(point);
      if (payload === undefined) continue;
      const body: Body = {};
      if (wantChunks) body.chunk = payloadToChunk(payload);
      if (wantVectors && typeof payload['vec'] === 'string') body.vector = decodeVector(payload['vec']);
      all.set(id, body);
      if (cacheable) this.bodies.put(id, epoch, body);
    }
    return requests.map(() => ({ status: 'fulfilled', value: all }));
  }

  /**
   * Queries started together, as one batch request. Should the batch be refused (a 4xx), each
   * query is sent on its own, so that one bad query fails alone.
   */
  private async sendQueries(requests: { body: Schemas['QueryRequest']; operation: string }[]): Promise<PromiseSettledResult<ScoredPoint[]>[]> {
    const one = (r: { body: Schemas['QueryRequest']; operation: string }) => this.reads.query(this.collection, r.body, r.operation);
    if (requests.length === 1) return Promise.allSettled(requests.map(one));
    const operations = [...new Set(requests.map((r) => r.operation))].join(' and ');
    try {
      const results = await this.reads.queryBatch(this.collection, requests.map((r) => r.body), operations);
      return results.map((value) => ({ status: 'fulfilled', value }));
    } catch (err) {
      if (err instanceof QdrantRequestError && err.status !== undefined && err.status >= 400 && err.status < 500) return Promise.allSettled(requests.map(one));
      throw err;
    }
  }

  /** Validates the whole change, then writes it; changes from one process run one after another. */
  async apply(change: IndexChange): Promise<void> {
    if (this.options.readonly) {
      throw new QbankError('index_read_only', `The index in ${this.where} was opened read-only; open it without \`readonly\` to change it.`);
    }
    this.validateChange(change);
    const run = this.writeQueue.then(() => this.write(change));
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  /**
   * Makes a `rebuild` collection the live one: builds its vector index and waits for it, then one
   * atomic alias update points the configured name at it (readers switch between two requests),
   * then the previous collection is dropped.
   */
  async publish(): Promise<void> {
    if (!this.options.rebuild) return;
    const name = this.options.collection;
    const admin = new Admin(this.client, this.options.url);
    const previous = await admin.aliasTarget(name);
    if (previous === undefined && (await admin.exists(name))) {
      // A plain collection holds the name: it must go before the alias can take it (a short gap).
      await admin.run('delete the collection', () => this.client.deleteCollection(name));
    }
    // Index the bulk-loaded collection and wait until it is done, so readers never meet an
    // unindexed collection (searches on one are exact scans: correct but slow).
    await admin.run('enable indexing', () => this.client.updateCollection(this.collection, { optimizers_config: { indexing_threshold: QDRANT_INDEXING_THRESHOLD } }));
    for (;;) {
      const info = await admin.run('read the collection', () => this.client.getCollection(this.collection));
      if (info.status === 'green') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const actions: Schemas['AliasOperations'][] = [];
    if (previous !== undefined) actions.push({ delete_alias: { alias_name: name } });
    actions.push({ create_alias: { alias_name: name, collection_name: this.collection } });
    await admin.run('swap the alias', () => this.client.updateCollectionAliases({ actions }));
    this.published = true;
    if (previous !== undefined && previous !== this.collection) {
      await admin.run('delete the previous collection', () => this.client.deleteCollection(previous));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writeQueue;
    if (this.options.rebuild && !this.published) await this.client.deleteCollection(this.collection).catch(() => undefined);
    this.reads.close();
  }

  // --- writing -------------------------------------------------------------------------------

  private validateChange(change: IndexChange): void {
    const files = new Set<string>();
    for (const file of [...change.upsert.map((u) => u.file.file), ...change.remove]) {
      if (files.has(file)) throw new InvalidInputError(`The change names ${file} more than once; upsert or remove each file once per change.`, 'change');
      files.add(file);
    }
    const ids = new Set<string>();
    for (const { file, chunks } of change.upsert) {
      for (const chunk of chunks) {
        if (chunk.file !== file.file) throw new InvalidInputError(`Chunk ${chunk.id} belongs to ${chunk.file} but was upserted with ${file.file}.`, 'change');
        if (ids.has(chunk.id)) throw new InvalidInputError(`Chunk id ${chunk.id} (${chunk.file}) appears twice in the change; chunk ids must be unique.`, 'change');
        ids.add(chunk.id);
        this.checkVector(chunk.vector, `The vector of chunk ${chunk.id} (${chunk.file})`);
      }
    }
  }

  private async write(change: IndexChange): Promise<void> {
    try {
      await this.writeChange(change);
    } finally {
      this.generation++;
      this.statsCache = undefined;
    }
  }

  private async writeChange(change: IndexChange): Promise<void> {
    const admin = new Admin(this.client, this.options.url);
    let stats = await this.readStats();
    let version = stats.version ?? 0;
    if (stats.dirty) stats = await this.recomputeStats(++version);
    const changed = [...change.upsert.map((u) => u.file.file), ...change.remove];
    const changedSet = new Set(changed);
    const incoming = change.upsert.flatMap((u) => u.chunks);

    // A chunk id already used by a file outside this change would be silently moved: refuse it.
    for (let i = 0; i < incoming.length; i += PAGE) {
      const slice = incoming.slice(i, i + PAGE);
      const existing = await admin.run('look up chunk ids', () =>
        this.client.retrieve(this.collection, { ids: slice.map((c) => pointId('chunk', c.id)), with_payload: ['id', 'file'], with_vector: false }),
      );
      for (const r of existing) {
        const owner = r.payload?.['file'] as string;
        if (!changedSet.has(owner)) {
          throw new InvalidInputError(`Chunk id ${String(r.payload?.['id'])} is already in the index, in ${owner}; chunk ids must be unique.`, 'change');
        }
      }
    }

    // What the change replaces: the current chunks of every file it names.
    const old: { id: string; file: string; len: number; keys: string[] }[] = [];
    if (changed.length > 0) {
      const filter: Filter = { must: [docCondition('chunk'), { key: 'file', match: { any: changed } }] };
      await this.scrollAll(filter, ['id', 'file', 'len', 'tf'], (points) => {
        for (const p of points) {
          old.push({ id: p.payload?.['id'] as string, file: p.payload?.['file'] as string, len: p.payload?.['len'] as number, keys: tfKeys(p.payload?.['tf']) });
        }
      });
    }

    const newLengths = incoming.map((c) => documentLength(c.terms));
    const docCount = stats.docCount - old.length + incoming.length;
    const totalLength = stats.totalLength - old.reduce((s, o) => s + o.len, 0) + newLengths.reduce((s, n) => s + n, 0);
    const avgdl = docCount > 0 ? totalLength / docCount : 0;
    const current: AvgdlRange = { min: stats.minAvgdl, max: stats.maxAvgdl };
    // The drift bound must cover old and new weights from the first new point on: widen it first.
    const during = incoming.length > 0 ? widen(current, avgdl) : current;
    await this.writeStats({ ...stats, minAvgdl: during.min, maxAvgdl: during.max, dirty: true, version: ++version });
    const untouched = stats.docCount - old.length;
    const after = incoming.length > 0 ? widen(untouched > 0 ? current : EMPTY_RANGE, avgdl) : untouched > 0 ? current : EMPTY_RANGE;

    const points: Schemas['PointStruct'][] = [];
    const bodies: Schemas['PointStruct'][] = [];
    for (const { chunks } of change.upsert) {
      chunks.forEach((chunk, ord) => {
        bodies.push({ id: pointId('body', chunk.id), vector: {}, payload: bodyPayload(chunk, ord) });
        const payload = chunkPayload(chunk, ord, avgdl);
        const vector: Record<string, unknown> = { [DENSE]: Array.from(chunk.vector) };
        if (payload.len > 0) {
          vector[SPARSE] = sparseVector(termFrequencyEntries(payload.tf).map(([key, f]) => [termFromKey(key), saturation(f, payload.len, avgdl)] as const));
        }
        points.push({ id: pointId('chunk', chunk.id), vector: vector as Schemas['PointStruct']['vector'], payload });
      });
    }
    // Bodies first: a search finds a new chunk only once its body can be read.
    await this.upsertAll(bodies);
    await this.upsertAll(points);

    // Old chunks not overwritten in place: chunks of removed files, and of upserted files under ids now gone.
    const oldFiles = new Set(old.map((o) => o.file));
    const removed = change.remove.filter((f) => oldFiles.has(f));
    if (removed.length > 0) {
      await admin.run('delete chunks', () => this.client.delete(this.collection, { wait: true, filter: { must: [chunkOrBody, { key: 'file', match: { any: removed } }] } }));
    }
    for (const { file, chunks } of change.upsert) {
      if (!oldFiles.has(file.file)) continue;
      const keep = chunks.flatMap((c) => [pointId('chunk', c.id), pointId('body', c.id)]);
      const filter: Filter = { must: [chunkOrBody, { key: 'file', match: { value: file.file } }], ...(keep.length > 0 ? { must_not: [{ has_id: keep }] } : {}) };
      await admin.run('delete chunks', () => this.client.delete(this.collection, { wait: true, filter }));
    }

    // File records.
    if (change.upsert.length > 0) {
      await this.upsertAll(
        change.upsert.map(({ file }) => ({ id: pointId('file', file.file), vector: {}, payload: { doc: 'file', file: file.file, hash: file.hash, chunkCount: file.chunkCount } })),
        true,
      );
    }
    if (change.remove.length > 0) {
      await admin.run('delete file records', () => this.client.delete(this.collection, { wait: true, points: change.remove.map((f) => pointId('file', f)) }));
    }

    // Document frequencies of every term whose count changed.
    const delta = new Map<string, number>();
    for (const o of old) for (const key of o.keys) delta.set(key, (delta.get(key) ?? 0) - 1);
    for (const p of points) for (const key of tfKeys((p.payload as ChunkPayload).tf)) delta.set(key, (delta.get(key) ?? 0) + 1);
    for (const [key, d] of delta) if (d === 0) delta.delete(key);
    await this.applyDfDelta(delta);

    const settled = after.min > 0 && avgdl / after.min > MAX_DRIFT ? await this.reweight(avgdl, after) : after;
    await this.writeStats({ doc: 'stats', docCount, totalLength, minAvgdl: settled.min, maxAvgdl: settled.max, dirty: false, version: ++version });
  }

  /**
   * Rewrites the sparse weights of every chunk whose weights were computed with an avgdl below
   * avgdl / MAX_DRIFT, with the current avgdl. Returns the avgdl range that then holds.
   */
  private async reweight(avgdl: number, range: AvgdlRange): Promise<AvgdlRange> {
    const admin = new Admin(this.client, this.options.url);
    const floor = avgdl / MAX_DRIFT;
    const filter: Filter = { must: [docCondition('chunk'), { key: 'len', range: { gt: 0 } }, { key: 'avgdl', range: { lt: floor } }] };
    const pages: PointRecord[][] = [];
    await this.scrollAll(filter, ['len', 'tf'], (points) => pages.push(points));
    for (const points of pages) {
      if (points.length === 0) continue;
      this.counters.reweightedChunks += points.length;
      const vectors = points.map((p) => {
        const len = p.payload?.['len'] as number;
        const tf = (p.payload?.['tf'] ?? '') as string;
        const sparse = sparseVector(termFrequencyEntries(tf).map(([key, f]) => [termFromKey(key), saturation(f, len, avgdl)] as const));
        return { id: p.id, vector: { [SPARSE]: sparse } };
      });
      await admin.run('rewrite sparse weights', () => this.client.updateVectors(this.collection, { wait: true, points: vectors }));
      await admin.run('rewrite sparse weights', () => this.client.setPayload(this.collection, { wait: true, payload: { avgdl }, points: points.map((p) => p.id) }));
    }
    // Rewritten chunks now hold `avgdl`; the others were at or above `floor` already.
    return { min: Math.min(avgdl, Math.max(range.min, floor)), max: Math.max(range.max, avgdl) };
  }

  private async applyDfDelta(delta: Map<string, number>): Promise<void> {
    const admin = new Admin(this.client, this.options.url);
    const keys = [...delta.keys()];
    const current = new Map<string, number>();
    for (let i = 0; i < keys.length; i += PAGE) {
      const slice = keys.slice(i, i + PAGE);
      const records = await admin.run('read term statistics', () =>
        this.client.retrieve(this.collection, { ids: slice.map((k) => pointId('term', termFromKey(k))), with_payload: ['term', 'df'], with_vector: false }),
      );
      for (const r of records) current.set(termKey(r.payload?.['term'] as string), r.payload?.['df'] as number);
    }
    const upserts: Schemas['PointStruct'][] = [];
    const deletes: string[] = [];
    for (const [key, d] of delta) {
      const term = termFromKey(key);
      const df = (current.get(key) ?? 0) + d;
      if (df > 0) upserts.push({ id: pointId('term', term), vector: {}, payload: { doc: 'term', term, df } });
      else if (current.has(key)) deletes.push(pointId('term', term));
    }
    await this.upsertAll(upserts, true);
    for (let i = 0; i < deletes.length; i += PAGE) {
      const slice = deletes.slice(i, i + PAGE);
      await admin.run('delete term statistics', () => this.client.delete(this.collection, { wait: true, points: slice }));
    }
  }

  /** Rebuilds the statistics and document frequencies from the chunks themselves (after an interrupted apply). */
  private async recomputeStats(version: number): Promise<Bm25Stats> {
    let docCount = 0;
    let totalLength = 0;
    let minAvgdl = Number.POSITIVE_INFINITY;
    let maxAvgdl = 0;
    const df = new Map<string, number>();
    await this.scrollAll(docFilter('chunk'), ['len', 'avgdl', 'tf'], (points) => {
      for (const p of points) {
        docCount++;
        totalLength += p.payload?.['len'] as number;
        const a = p.payload?.['avgdl'] as number;
        if ((p.payload?.['len'] as number) > 0) {
          minAvgdl = Math.min(minAvgdl, a);
          maxAvgdl = Math.max(maxAvgdl, a);
        }
        for (const key of tfKeys(p.payload?.['tf'])) df.set(key, (df.get(key) ?? 0) + 1);
      }
    });
    const stored = new Map<string, number>();
    await this.scrollAll(docFilter('term'), ['term', 'df'], (points) => {
      for (const p of points) stored.set(termKey(p.payload?.['term'] as string), p.payload?.['df'] as number);
    });
    const delta = new Map<string, number>();
    for (const [key, n] of df) if (stored.get(key) !== n) delta.set(key, n - (stored.get(key) ?? 0));
    for (const [key, n] of stored) if (!df.has(key)) delta.set(key, -n);
    await this.applyDfDelta(delta);
    const stats: Bm25Stats = { doc: 'stats', docCount, totalLength, minAvgdl: Number.isFinite(minAvgdl) ? minAvgdl : 0, maxAvgdl, dirty: false, version };
    await this.writeStats(stats);
    return stats;
  }

  private async readStats(): Promise<Bm25Stats> {
    const [r] = await this.reads.retrieve(this.collection, { ids: [STATS_ID], with_payload: true, with_vector: false }, 'a read of BM25 statistics');
    if (r?.payload?.['doc'] !== 'stats') throw new IndexUnavailableError(this.where, 'its BM25 statistics point is missing; rebuild it with: npx qbank ingest --rebuild');
    return r.payload as unknown as Bm25Stats;
  }

  private async writeStats(stats: Bm25Stats): Promise<void> {
    await this.upsertAll([{ id: STATS_ID, vector: {}, payload: { ...stats } }]);
  }

  /** Upserts in batches, a few in flight; `small` points (no vectors, tiny payload) go in larger batches. */
  private async upsertAll(points: Schemas['PointStruct'][], small = false): Promise<void> {
    const admin = new Admin(this.client, this.options.url);
    const size = small ? SMALL_POINT_BATCH : (this.options.writeBatchSize ?? 256);
    const batches: Schemas['PointStruct'][][] = [];
    for (let i = 0; i < points.length; i += size) batches.push(points.slice(i, i + size));
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++] as Schemas['PointStruct'][];
        await admin.run('upsert points', () => this.client.upsert(this.collection, { wait: true, points: batch }));
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.writeConcurrency ?? 4, batches.length) }, worker));
  }

  // --- reading helpers ------------------------------------------------------------------------

  private async count(doc: 'chunk' | 'file' | 'term'): Promise<number> {
    const admin = new Admin(this.client, this.options.url);
    const r = await admin.run('count points', () => this.client.count(this.collection, { filter: docFilter(doc), exact: true }));
    return r.count;
  }

  private async scrollAll(filter: Filter, include: string[], onPage: (points: PointRecord[]) => void): Promise<void> {
    const admin = new Admin(this.client, this.options.url);
    let offset: Schemas['ExtendedPointId'] | undefined;
    do {
      const page = await admin.run('scroll points', () =>
        this.client.scroll(this.collection, { filter, limit: PAGE, with_payload: { include }, with_vector: false, ...(offset !== undefined ? { offset } : {}) }),
      );
      onPage(page.points);
      const next = page.next_page_offset;
      offset = typeof next === 'string' || typeof next === 'number' ? next : undefined;
    } while (offset !== undefined);
  }

  private checkVector(vector: Float32Array, what: string): void {
    if (vector.length !== this.meta.dimensions) {
      throw new InvalidInputError(
        `${what} has ${vector.length} dimensions, but the ${this.where} holds ${this.meta.dimensions}-dimensional vectors of embedder "${this.meta.embedderId}".`,
        'vector',
      );
    }
    for (const x of vector) {
      if (!Number.isFinite(x)) throw new InvalidInputError(`${what} holds a value that is not a finite number (${x}).`, 'vector');
    }
  }
}

/** The term table changed, or the store closed, while it was being read. */
class TermTableOutdated extends Error {}

/** Collection-level calls through the official client, with errors as `QdrantRequestError`. */
class Admin {
  constructor(private readonly client: QdrantClient, private readonly url: string) {}

  /**
   * Runs one client call. A call that failed because Qdrant had just closed the kept-alive
   * socket (it drops idle connections after 5 s; a busy event loop may not have noticed yet) is
   * sent once more: every request qbank makes is idempotent (upserts and deletes by fixed ids or
   * filters, reads).
   */
  async run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!isClosedSocket(err)) throw asRequestError(this.url, operation, err);
    }
    try {
      return await fn();
    } catch (err) {
      throw asRequestError(this.url, operation, err);
    }
  }

  async aliasTarget(name: string): Promise<string | undefined> {
    const { aliases } = await this.run('list aliases', () => this.client.getAliases());
    return aliases.find((a) => a.alias_name === name)?.collection_name;
  }

  async exists(name: string): Promise<boolean> {
    return (await this.run('check the collection', () => this.client.collectionExists(name))).exists;
  }

  async meta(name: string): Promise<CollectionMeta | undefined> {
    const info = await this.run('read the collection', () => this.client.getCollection(name));
    const m = (info.config as { metadata?: Record<string, unknown> | null }).metadata?.['qbank'] as Partial<CollectionMeta> | undefined;
    if (m === undefined || typeof m.embedderId !== 'string' || !Number.isInteger(m.dimensions) || !Number.isInteger(m.schemaVersion)) return undefined;
    return { schemaVersion: m.schemaVersion as number, embedderId: m.embedderId, dimensions: m.dimensions as number };
  }

  /**
   * A new collection: vectors, payload indexes and an empty statistics point. Keyword indexes on
   * the filter fields keep filtered searches from reading payloads; `section_lc` has none (see
   * qdrant-filter.ts). The metadata goes through the low-level API: the client's
   * `createCollection` (1.16.1) drops the `metadata` field.
   */
  async createCollection(name: string, options: QdrantStoreOptions, meta: CollectionMeta, how: { existing?: 'fail' | 'wait' } = {}): Promise<void> {
    try {
      await this.create(name, options, meta);
    } catch (err) {
      if (how.existing !== 'wait' || !(err instanceof QdrantRequestError) || !/already exists/i.test(err.message)) throw err;
      // Another process is creating it: its statistics point, written last, says it is done.
      // If it never comes (that process died), finish the creation here.
      for (let i = 0; i < 100; i++) {
        const [stats] = await this.run('read the statistics point', () => this.client.retrieve(name, { ids: [STATS_ID], with_payload: false }));
        if (stats !== undefined) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      await this.finishCreation(name);
    }
  }

  private async create(name: string, options: QdrantStoreOptions, meta: CollectionMeta): Promise<void> {
    await this.run('create the collection', () =>
      this.client.api().createCollection({
        collection_name: name,
        vectors: { [DENSE]: { size: options.dimensions, distance: 'Cosine' } },
        sparse_vectors: { [SPARSE]: { modifier: 'none' } },
        shard_number: options.shardNumber,
        replication_factor: options.replicationFactor,
        metadata: { qbank: { ...meta } },
        // A rebuild is a bulk load nobody searches yet: build the HNSW graph once, at publish().
        ...(options.rebuild ? { optimizers_config: { indexing_threshold: 0 } } : {}),
      }),
    );
    await this.finishCreation(name);
  }

  /** Payload indexes and the empty statistics point (both idempotent). */
  private async finishCreation(name: string): Promise<void> {
    for (const field of ['doc', 'file', 'lang', 'difficulty_lc']) {
      await this.run('create a payload index', () => this.client.createPayloadIndex(name, { field_name: field, field_schema: 'keyword', wait: true }));
    }
    await this.run('write the statistics point', () => this.client.upsert(name, { wait: true, points: [{ id: STATS_ID, vector: {}, payload: { ...initialStats() } }] }));
  }
}

function makeReads(client: QdrantClient, options: QdrantStoreOptions): Reads {
  if (options.transport === 'client') {
    const admin = new Admin(client, options.url);
    return {
      query: async (collection, body, operation) => (await admin.run(operation, () => client.query(collection, body))).points,
      queryBatch: async (collection, searches, operation) => (await admin.run(operation, () => client.queryBatch(collection, { searches }))).map((r) => r.points),
      retrieve: (collection, body, operation) => admin.run(operation, () => client.retrieve(collection, body)),
      close: () => undefined,
    };
  }
  const http = new JsonHttp({ url: options.url, ...(options.apiKey ? { apiKey: options.apiKey } : {}), timeoutMs: options.timeoutMs ?? 30_000 });
  const path = (collection: string, suffix: string) => `/collections/${encodeURIComponent(collection)}/points${suffix}`;
  return {
    query: async (collection, body, operation) => (await http.post<{ points: ScoredPoint[] }>(path(collection, '/query'), body, operation)).points,
    queryBatch: async (collection, searches, operation) => (await http.post<{ points: ScoredPoint[] }[]>(path(collection, '/query/batch'), { searches }, operation)).map((r) => r.points),
    retrieve: (collection, body, operation) => http.post<PointRecord[]>(path(collection, ''), body, operation),
    close: () => http.close(),
  };
}

/** Whether a failed call died on a connection the server had closed (undici's or node's wording). */
export function isClosedSocket(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE') return true;
  }
  return false;
}

function asRequestError(url: string, operation: string, err: unknown): QdrantRequestError {
  if (err instanceof QdrantRequestError) return err;
  const e = err as { status?: number; data?: { status?: { error?: string } }; message?: string };
  const status = typeof e.status === 'number' ? e.status : undefined;
  const detail = e.data?.status?.error ?? e.message ?? String(err);
  return new QdrantRequestError(url, operation, status, detail, { cause: err });
}

/** The term keys of a `tf` payload string (absent on a point that is not a chunk). */
function tfKeys(tf: unknown): string[] {
  return typeof tf === 'string' ? termFrequencyEntries(tf).map(([key]) => key) : [];
}

function docCondition(doc: 'chunk' | 'body' | 'file' | 'term'): Schemas['FieldCondition'] {
  return { key: 'doc', match: { value: doc } };
}

function docFilter(doc: 'chunk' | 'body' | 'file' | 'term'): Filter {
  return { must: [docCondition(doc)] };
}

/** Both points of a chunk (see `chunk-payload.ts`). */
const chunkOrBody: Schemas['FieldCondition'] = { key: 'doc', match: { any: ['chunk', 'body'] } };

/** The avgdl values live chunks' sparse weights were computed with; `min` 0 means none. */
interface AvgdlRange {
  min: number;
  max: number;
}

const EMPTY_RANGE: AvgdlRange = { min: 0, max: 0 };

function widen(range: AvgdlRange, avgdl: number): AvgdlRange {
  if (avgdl <= 0) return range;
  return range.min > 0 ? { min: Math.min(range.min, avgdl), max: Math.max(range.max, avgdl) } : { min: avgdl, max: avgdl };
}

function byScoreThenId(a: ScoredId, b: ScoredId): number {
  return b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** A new physical collection's name: the configured name, a time stamp and a random suffix. */
function physicalName(name: string): string {
  return `${name}_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

function validateOptions(o: QdrantStoreOptions): void {
  const range = (value: number | undefined, field: string, min: number, max: number) => {
    if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
      throw new InvalidInputError(`${field} must be a whole number from ${min} to ${max}, not ${value}.`, field);
    }
  };
  if (o.embedderId === '') throw new InvalidInputError('The embedder id of an index must not be empty.', 'embedderId');
  if (!/^[A-Za-z0-9_.-]{1,200}$/.test(o.collection)) {
    throw new InvalidInputError(`The Qdrant collection name "${o.collection}" may hold only letters, digits, "_", "-" and "." (1–200 characters); set QDRANT_COLLECTION to such a name.`, 'collection');
  }
  range(o.dimensions, 'dimensions', 1, MAX_DIMENSIONS);
  range(o.shardNumber, 'shardNumber', 1, 1024);
  range(o.replicationFactor, 'replicationFactor', 1, 16);
  range(o.hnswEf, 'hnswEf', 1, 10_000);
  range(o.timeoutMs, 'timeoutMs', 100, 600_000);
  range(o.bodyCacheSize, 'bodyCacheSize', 0, 1_000_000);
  range(o.writeBatchSize, 'writeBatchSize', 1, 10_000);
  range(o.writeConcurrency, 'writeConcurrency', 1, 64);
}
