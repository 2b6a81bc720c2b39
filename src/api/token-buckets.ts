/**
 * Token buckets per client: each client may spend `burst` requests at once and gets
 * `perMinute` tokens back a minute. The least recently seen clients are forgotten past
 * `maxClients`, so memory stays bounded whatever the traffic.
 *
 * @example
 * const buckets = new TokenBuckets({ perMinute: 120, burst: 30 });
 * const r = buckets.take('ip:127.0.0.1'); // { ok: false, retryAfterSeconds: 1 } once spent
 */
export class TokenBuckets {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #perMs: number;

  constructor(
    private readonly options: { perMinute: number; burst: number },
    private readonly now: () => number = () => performance.now(),
    private readonly maxClients = 10_000,
  ) {
    this.#perMs = options.perMinute / 60_000;
  }

  get enabled(): boolean {
    return this.options.perMinute > 0;
  }

  /** Takes one token for the client, or says how many whole seconds until one is back. */
  take(client: string): { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number } {
    if (!this.enabled) return { ok: true, remaining: Infinity };
    const now = this.now();
    const bucket = this.#buckets.get(client);
    const tokens = bucket ? Math.min(this.options.burst, bucket.tokens + (now - bucket.at) * this.#perMs) : this.options.burst;
    // Re-inserting moves the client to the end: Map order is then least recently seen first.
    this.#buckets.delete(client);
    if (tokens >= 1) {
      this.#buckets.set(client, { tokens: tokens - 1, at: now });
      this.#evict();
      return { ok: true, remaining: Math.floor(tokens - 1) };
    }
    this.#buckets.set(client, { tokens, at: now });
    this.#evict();
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / this.#perMs / 1000)) };
  }

  get size(): number {
    return this.#buckets.size;
  }

  #evict(): void {
    while (this.#buckets.size > this.maxClients) {
      const oldest = this.#buckets.keys().next();
      if (oldest.done) return;
      this.#buckets.delete(oldest.value);
    }
  }
}
