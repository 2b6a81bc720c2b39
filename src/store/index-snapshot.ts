import type { Store } from '../ports/store.js';

/**
 * A value computed from the index (a catalogue of its questions, say), kept until the index's
 * files change — any file added, removed or with another hash — and then computed again. Each
 * read costs one `listFiles`. A failed build is not kept: the next read tries again.
 *
 * @example
 * const titles = new IndexSnapshot(store, async (files) => files.length);
 * const count = await titles.current();
 */
export class IndexSnapshot<T> {
  #snapshot: Promise<{ key: string; value: T }> | undefined;

  constructor(
    private readonly store: Pick<Store, 'listFiles'>,
    private readonly build: (files: string[]) => Promise<T>,
  ) {}

  async current(): Promise<T> {
    const files = await this.store.listFiles();
    const key = files.map((f) => `${f.file}:${f.hash}`).join('|');
    const cached = this.#snapshot ? await this.#snapshot.catch(() => undefined) : undefined;
    if (cached?.key === key) return cached.value;
    const next = this.build(files.map((f) => f.file)).then((value) => ({ key, value }));
    this.#snapshot = next;
    return (await next).value;
  }
}
