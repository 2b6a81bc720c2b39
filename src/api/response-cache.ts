/**
 * The most recently used responses of deterministic routes (search, extractive answers),
 * keyed by the validated request. Bounded: past `maxEntries` the least recently used goes.
 * The API empties it when the index changes.
 *
 * @example
 * const cache = new ResponseCache<string>(1000);
 * cache.get(key) ?? cache.set(key, JSON.stringify(await compute()));
 */
export class ResponseCache<V> {
  readonly #entries = new Map<string, V>();

  constructor(readonly maxEntries: number) {}

  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    // Re-inserting keeps Map order least recently used first.
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  set(key: string, value: V): V {
    if (this.maxEntries <= 0) return value;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
    return value;
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
