/**
 * Sends the requests made in one synchronous stretch of code as one batch: the first `add`
 * schedules a flush for the next microtask, and every `add` before it joins the same batch. The
 * searcher starts keyword and vector search (and later the chunk and vector lookups) side by
 * side in one expression, so each pair becomes one HTTP request instead of two.
 *
 * @example
 * const batch = new TickBatch<number, number>((xs) => Promise.allSettled(xs.map(async (x) => x * 2)));
 * await Promise.all([batch.add(1), batch.add(2)]); // [2, 4], from one call of the sender
 */
export class TickBatch<Request, Response> {
  private pending: { request: Request; resolve: (r: Response) => void; reject: (e: unknown) => void }[] = [];

  /**
   * `send` settles the requests in order, one result each, so that one request can fail alone;
   * when it throws, every request of the batch fails with that error.
   */
  constructor(
    private readonly send: (requests: Request[]) => Promise<PromiseSettledResult<Response>[]>,
    /** `false` sends every request on its own at once (for comparison). Default `true`. */
    private readonly enabled = true,
  ) {}

  add(request: Request): Promise<Response> {
    return new Promise<Response>((resolve, reject) => {
      if (this.pending.length === 0) queueMicrotask(() => this.flush());
      this.pending.push({ request, resolve, reject });
      if (!this.enabled) this.flush();
    });
  }

  private flush(): void {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    let sent: Promise<PromiseSettledResult<Response>[]>;
    try {
      sent = this.send(batch.map((b) => b.request));
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent.then(
      (results) => {
        batch.forEach((b, i) => {
          const r = results[i];
          if (r === undefined) b.reject(new Error(`A batch of ${batch.length} requests got only ${results.length} answers.`));
          else if (r.status === 'fulfilled') b.resolve(r.value);
          else b.reject(r.reason);
        });
      },
      (err: unknown) => {
        for (const b of batch) b.reject(err);
      },
    );
  }
}
