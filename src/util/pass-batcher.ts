interface Job<I, O> {
  readonly items: readonly I[];
  /** Items handed to a batch so far. */
  taken: number;
  readonly out: O[];
  /** Items with a result; -1 once the job failed. */
  done: number;
  /** Background work: taken only when no other caller waits. */
  readonly idle: boolean;
  readonly resolve: (out: O[]) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Runs a batch function on items from many callers, one batch at a time, each batch at most
 * `maxBatch` items. Callers that arrive while a batch runs share the next one: first every
 * caller with a single item left (concurrent search queries ride in one pass, and none waits
 * for more than one batch however many items others queued), then the other callers' items in
 * arrival order (the first caller's 60 sentences are done before the second's, so callers
 * finish one after another instead of all late together). When a batch fails, every caller
 * with an item in it fails.
 *
 * With a `size` function and `maxCost`, a batch also stops growing when its padded cost (item
 * count × the largest item's size, as for a padded tensor) would pass `maxCost`; a batch always
 * takes at least one item.
 *
 * @example
 * const passes = new PassBatcher((texts: string[]) => model(texts), 16);
 * const [query] = await passes.submit(['explain GQA']);   // rides in the next pass
 * const sentences = await passes.submit(sixtySentences);  // 16 per pass, shared with others
 */
export class PassBatcher<I, O> {
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

  /**
   * The results of `items`, in order. With `idle`, the items are background work: a batch
   * takes them only when no other caller's items wait (then first come, first served).
   */
  submit(items: readonly I[], options: { idle?: boolean } = {}): Promise<O[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<O[]>((resolve, reject) => {
      this.#jobs.push({ items, taken: 0, out: new Array<O>(items.length), done: 0, idle: options.idle ?? false, resolve, reject });
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
    /** Adds the next item of `job` if the batch has room for it. */
    const take = (job: Job<I, O>): boolean => {
      if (picked.length >= this.maxBatch) return false;
      if (this.limit) {
        const wider = Math.max(largest, this.limit.size(job.items[job.taken] as I));
        if (picked.length > 0 && wider * (picked.length + 1) > this.limit.maxCost) return false;
        largest = wider;
      }
      picked.push({ job, index: job.taken++ });
      return true;
    };
    const waiting = this.#jobs.filter((job) => job.done >= 0 && job.taken < job.items.length);
    const urgent = waiting.filter((job) => !job.idle);
    const open = urgent.length > 0 ? urgent : waiting;
    // First the callers with one item left (a search query): none waits more than one batch.
    for (const job of open) if (job.items.length - job.taken === 1 && !take(job)) return picked;
    // Then the rest in arrival order, each as far as it goes: the first caller finishes first,
    // rather than every caller finishing late together.
    for (const job of open) while (job.taken < job.items.length) if (!take(job)) return picked;
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
