import type { Chunk } from '../../ports/chunk.js';

/** What a body point holds for a search: the chunk, its vector, or both (a lookup may ask for either). */
export interface Body {
  chunk?: Chunk;
  vector?: Float32Array;
}

/**
 * The most recently used chunk bodies and vectors of one connection, each valid for one *epoch*:
 * a snapshot of the collection's BM25 statistics point, whose version every write of a chunk
 * raises before it touches a body (see `QdrantStore`). An entry is served only while the
 * connection still holds the epoch it was read in, so a change shows as soon as the statistics
 * show it — within a second for another process's change, at once for this connection's own.
 *
 * It saves the searcher's third request (the fused candidates' text and vectors) whenever every
 * candidate was read before; a bank of a few hundred chunks is soon wholly here. Callers get
 * copies, so what they do with a chunk or vector cannot change the cache.
 *
 * @example
 * const cache = new BodyCache<object>(2048);
 * cache.put('c1', epoch, { chunk, vector });
 * cache.chunk('c1', epoch); // a copy of chunk; undefined under any other epoch
 */
export class BodyCache<Epoch extends object> {
  readonly #entries = new Map<string, Body & { epoch: Epoch }>();

  /** `maxEntries` 0 keeps nothing. */
  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.#entries.size;
  }

  chunk(id: string, epoch: Epoch): Chunk | undefined {
    const chunk = this.#touch(id, epoch)?.chunk;
    return chunk && copyChunk(chunk);
  }

  vector(id: string, epoch: Epoch): Float32Array | undefined {
    return this.#touch(id, epoch)?.vector?.slice();
  }

  /** Adds what a lookup read in `epoch` to what is kept of the chunk; the least recently used entries make room. */
  put(id: string, epoch: Epoch, body: Body): void {
    if (this.maxEntries === 0) return;
    const old = this.#entries.get(id);
    this.#entries.delete(id);
    const entry: Body & { epoch: Epoch } = old?.epoch === epoch ? { ...old } : { epoch };
    if (body.chunk) entry.chunk = copyChunk(body.chunk);
    if (body.vector) entry.vector = body.vector.slice();
    this.#entries.set(id, entry);
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.maxEntries) break;
      this.#entries.delete(oldest);
    }
  }

  clear(): void {
    this.#entries.clear();
  }

  /** The entry of `id` if it was read in `epoch`, now the most recently used. */
  #touch(id: string, epoch: Epoch): (Body & { epoch: Epoch }) | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined || entry.epoch !== epoch) return undefined;
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    return entry;
  }
}

/** A chunk that shares nothing mutable with `c`. */
function copyChunk(c: Chunk): Chunk {
  const copy: Chunk = { ...c, section: [...c.section], footnotes: c.footnotes.map((f) => ({ ...f })) };
  if (c.roles !== undefined) copy.roles = [...c.roles];
  if (c.followUps !== undefined) copy.followUps = [...c.followUps];
  if (c.part !== undefined) copy.part = { ...c.part };
  return copy;
}
