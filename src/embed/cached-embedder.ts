import type { EmbedOptions, Embedder } from '../ports/embedder.js';
import { QbankError } from '../errors.js';
import type { EmbeddingCache } from './cache.js';

/**
 * Options of a `CachedEmbedder`.
 *
 * @example
 * new CachedEmbedder(inner, cache, { onProgress: (done, total) => bar.update(done, { total }) });
 */
export interface CachedEmbedderOptions {
  /**
   * Called while passages are embedded: first with `(0, total)`, then after every batch.
   * `total` counts the distinct texts of the call missing from the cache; not called when none is.
   */
  onProgress?: (done: number, total: number) => void;
  /** Query vectors kept in memory, least recently used dropped first. Default 512; 0 keeps none. */
  queryCacheSize?: number;
}

const DEFAULT_QUERY_CACHE_SIZE = 512;

/**
 * An `Embedder` that embeds each text once. Passages go through the persistent
 * `EmbeddingCache`; queries through a small in-memory LRU (they are short-lived and may be
 * embedded differently from passages). Texts missing from the cache are sent to the inner
 * embedder in slices of its `maxBatchSize`, and each slice is stored as soon as it returns, so an
 * interrupted ingest keeps its progress. Vectors come back in the order of `texts`.
 *
 * Because it does the batching itself, its own `maxBatchSize` is unbounded. It has the inner
 * embedder's `id`: the vectors are the inner embedder's. `close()` closes the inner embedder;
 * the cache belongs to whoever opened it.
 *
 * @example
 * const embedder = new CachedEmbedder(local, new EmbeddingCache('.qbank/embeddings.sqlite'));
 * const vectors = await embedder.embed(passages, 'passage');
 * console.log(`${embedder.stats.embedded} embedded, ${embedder.stats.cached} from cache`);
 */
export class CachedEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  readonly maxBatchSize = Number.MAX_SAFE_INTEGER;
  /**
   * Distinct texts per call sent to the inner embedder (`embedded`), or answered without it
   * (`cached`): from a cache, or from another call that was embedding the same text at the
   * same time. Since construction.
   */
  readonly stats = { embedded: 0, cached: 0 };

  private readonly inner: Embedder;
  private readonly cache: EmbeddingCache;
  private readonly onProgress: ((done: number, total: number) => void) | undefined;
  private readonly queryCacheSize: number;
  /** Map order is recency order: the first key is the least recently used. */
  private readonly queries = new Map<string, Float32Array>();
  /** Texts some call is embedding now, by kind and text: a call that needs one waits for it instead of embedding it again. */
  private readonly inFlight = new Map<string, Flight>();

  constructor(inner: Embedder, cache: EmbeddingCache, options: CachedEmbedderOptions = {}) {
    this.inner = inner;
    this.cache = cache;
    this.id = inner.id;
    this.dimensions = inner.dimensions;
    this.onProgress = options.onProgress;
    this.queryCacheSize = Math.max(0, Math.floor(options.queryCacheSize ?? DEFAULT_QUERY_CACHE_SIZE));
  }

  async embed(texts: readonly string[], kind: 'query' | 'passage', options: EmbedOptions = {}): Promise<Float32Array[]> {
    const unique = [...new Set(texts)];
    const known = kind === 'passage' ? this.cache.getMany(this.id, unique) : this.recallQueries(unique);
    for (const [text, vector] of known) {
      if (vector.length !== this.dimensions) known.delete(text);
    }
    // What another call is embedding now is awaited, not embedded twice (a class asking the
    // same new question at once, answers quoting the same passage). A request does not wait on
    // an idle call's text: idle passes run only when no request needs one.
    const missing: string[] = [];
    const joined: (readonly [string, Promise<Float32Array>])[] = [];
    for (const text of unique) {
      if (known.has(text)) continue;
      const flight = this.inFlight.get(flightKey(kind, text));
      if (flight && (options.idle === true || !flight.idle)) joined.push([text, flight.vector]);
      else missing.push(text);
    }
    this.stats.cached += unique.length - missing.length;

    const flights = new Map(missing.map((text) => [text, this.takeOff(kind, text, options.idle === true)]));
    try {
      const progress = kind === 'passage' && missing.length > 0 ? this.onProgress : undefined;
      progress?.(0, missing.length);
      const batch = Math.max(1, Math.floor(this.inner.maxBatchSize) || 1);
      for (let done = 0; done < missing.length; ) {
        const slice = missing.slice(done, done + batch);
        const vectors = await this.inner.embed(slice, kind, options);
        this.check(slice, vectors);
        const entries = slice.map((text, i) => [text, vectors[i] as Float32Array] as const);
        if (kind === 'passage') this.cache.putMany(this.id, entries);
        else for (const [text, vector] of entries) this.rememberQuery(text, vector);
        for (const [text, vector] of entries) {
          known.set(text, vector);
          flights.get(text)?.land(vector.slice());
          flights.delete(text);
        }
        this.stats.embedded += slice.length;
        done += slice.length;
        progress?.(done, missing.length);
      }
    } catch (error) {
      for (const flight of flights.values()) flight.fail(error);
      throw error;
    }
    for (const [text, vector] of await Promise.all(joined.map(async ([text, v]) => [text, (await v).slice()] as const))) known.set(text, vector);

    // A text asked for twice gets its own copy the second time, so callers never share arrays.
    const given = new Set<string>();
    return texts.map((text) => {
      const vector = known.get(text) as Float32Array;
      if (given.has(text)) return vector.slice();
      given.add(text);
      return vector;
    });
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }

  /** Marks `text` as being embedded by this call; `land` or `fail` ends that, for whoever waits on it. */
  private takeOff(kind: 'query' | 'passage', text: string, idle: boolean): { land(v: Float32Array): void; fail(e: unknown): void } {
    const key = flightKey(kind, text);
    let land!: (v: Float32Array) => void;
    let fail!: (e: unknown) => void;
    const vector = new Promise<Float32Array>((resolve, reject) => {
      land = resolve;
      fail = reject;
    });
    // Nobody may be waiting: a failure is the embedding call's own to report.
    vector.catch(() => undefined);
    const flight: Flight = { vector, idle };
    this.inFlight.set(key, flight);
    const end = () => {
      if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
    };
    return {
      land: (v) => {
        end();
        land(v);
      },
      fail: (e) => {
        end();
        fail(e);
      },
    };
  }

  private recallQueries(texts: readonly string[]): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const text of texts) {
      const vector = this.queries.get(text);
      if (vector === undefined) continue;
      this.queries.delete(text);
      this.queries.set(text, vector);
      out.set(text, vector.slice());
    }
    return out;
  }

  private rememberQuery(text: string, vector: Float32Array): void {
    if (this.queryCacheSize === 0) return;
    this.queries.delete(text);
    this.queries.set(text, vector.slice());
    while (this.queries.size > this.queryCacheSize) {
      const oldest = this.queries.keys().next();
      if (oldest.done === true) break;
      this.queries.delete(oldest.value);
    }
  }

  private check(texts: readonly string[], vectors: readonly Float32Array[]): void {
    const bad = vectors.findIndex((v) => v.length !== this.dimensions);
    if (vectors.length !== texts.length || bad !== -1) {
      const what =
        vectors.length !== texts.length
          ? `${vectors.length} vectors for ${texts.length} texts`
          : `a vector of ${vectors[bad]?.length} dimensions instead of ${this.dimensions}`;
      throw new QbankError('embedder_output', `Embedder "${this.id}" returned ${what}; nothing of this batch was cached.`);
    }
  }
}

/** A text being embedded by some call: its vector when that call has it, and whether the call is idle work. */
interface Flight {
  vector: Promise<Float32Array>;
  idle: boolean;
}

function flightKey(kind: 'query' | 'passage', text: string): string {
  return `${kind}\u0000${text}`;
}
