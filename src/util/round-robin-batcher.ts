interface Job<I, O> {
  readonly items: readonly I[];
  /** Items handed to a batch so far. */
  taken: number;
  readonly out: O[];
  /** Items with a result; -1 once the job failed. */
  done: number;
  readonly resolve: (out: O[]) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Runs a batch function on items from many callers, one batch at a time, each batch at most
 * `maxBatch` items taken in turn from every waiting caller (one item from each, then a second
 * from each, …). Callers that arrive while a batch runs share the next one, so concurrent
 * single items (search queries) ride in one pass; a caller with one item waits for at most one
 * batch, however many items the callers before it queued, and a caller with many gets them
 * done over several batches. When a batch fails, every caller with an item in it fails.
 *
 * With a `size` function and `maxCost`, a batch also stops growing when its padded cost (item
 * count × the largest item's size, as for a padded tensor) would pass `maxCost`; a batch always
 * takes at least one item.
 *
 * @example
 * const passes = new RoundRobinBatcher((texts: string[]) => model(texts), 16);
 * const [query] = await passes.submit(['explain GQA']);   // rides in the next pass
 * const sentences = await passes.submit(sixtySentences);  // 16 per pass, shared with others
 */
export class RoundRobinBatcher<I, O> {
  readonly #jobs: Job<I, O>[] = [];
  #running = false;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    /** Items per batch, 1–10000. */
    readonly maxBatch: number,
    private readonly limit?: { size: (item: I) => number; maxCost: number },
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > 10_000) throw new RangeError(`maxBatch must be a whole number from 1 to 10000, not ${maxBatch}.`);
    if (limit && !(limit.maxCost > 0)) throw new RangeError(`maxCost must be above 0, not ${limit.maxCost}.`);
  }

  /** The results of `items`, in order. */
  submit(items: readonly I[]): Promise<O[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<O[]>((resolve, reject) => {
      this.#jobs.push({ items, taken: 0, out: new Array<O>(items.length), done: 0, resolve, reject });
      void this.#pump();
    });
  }

  /** Items waiting for a batch, over all callers. */
  get pending(): number {
    return this.#jobs.reduce((n, job) => n + (job.done < 0 ? 0 : job.items.length - job.taken), 0);
  }

  #pick(): { job: Job<I, O>; index: number }[] {
    const picked: { job: Job<I, O>; index: number }[] = [];
    let largest = 0;
    let full = false;
    for (let more = true; more && !full; ) {
      more = false;
      for (const job of this.#jobs) {
        if (picked.length >= this.maxBatch) full = true;
        if (full) break;
        if (job.done < 0 || job.taken >= job.items.length) continue;
        if (this.limit) {
          const size = this.limit.size(job.items[job.taken] as I);
          const wider = Math.max(largest, size);
          if (picked.length > 0 && wider * (picked.length + 1) > this.limit.maxCost) {
            full = true;
            break;
          }
          largest = wider;
        }
        picked.push({ job, index: job.taken++ });
        more = true;
      }
    }
    return picked;
  }

  async #pump(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#jobs.length > 0) {
        const picked = this.#pick();
        try {
          const results = await this.run(picked.map((p) => p.job.items[p.index] as I));
          if (results.length !== picked.length) throw new Error(`The batch function returned ${results.length} results for ${picked.length} items.`);
          picked.forEach((p, i) => {
            if (p.job.done < 0) return;
            p.job.out[p.index] = results[i] as O;
            p.job.done += 1;
          });
        } catch (error) {
          for (const job of new Set(picked.map((p) => p.job))) {
            if (job.done < 0) continue;
            job.done = -1;
            job.reject(error);
          }
        }
        for (let j = this.#jobs.length - 1; j >= 0; j--) {
          const job = this.#jobs[j];
          if (!job) continue;
          if (job.done === job.items.length) job.resolve(job.out);
          if (job.done === job.items.length || job.done < 0) this.#jobs.splice(j, 1);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}
