import type { IndexInfo, Store } from '../ports/store.js';

/** What GET /readyz reports: 200 when `ok`, else 503. */
export interface Readiness {
  ok: boolean;
  detail: string;
}

export interface StoreReadinessOptions {
  /** Longest wait for the store's answer, ms, 100–60000. Default 2000. */
  timeoutMs?: number;
  /** A check is reused for this long, ms, 0–60000: probes cannot load the store. Default 1000. */
  reuseMs?: number;
  /** Where a store that stops answering is recorded (once per outage). Default: nowhere. */
  log?: (message: string, error: unknown) => void;
  now?: () => number;
}

/**
 * Readiness of a server over a store: the embedding model loaded (`model()`), and the store
 * answering now. The store is asked for its `info()` with a deadline; one check serves every
 * probe for `reuseMs`, and probes arriving meanwhile share it. The detail names no address or
 * error (the endpoint is public); the log gets the error when an outage starts.
 *
 * @example
 * const ready = storeReadiness(store, () => ({ loaded: state.loaded, detail: state.detail }), { log });
 * createApi({ ..., ready });
 */
export function storeReadiness(store: Pick<Store, 'info'>, model: () => { loaded: boolean; detail: string }, options: StoreReadinessOptions = {}): () => Promise<Readiness> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const reuseMs = options.reuseMs ?? 1000;
  const now = options.now ?? (() => performance.now());
  let last: { at: number; result: Promise<IndexInfo | Error> } | undefined;
  let down = false;

  const probe = async (): Promise<IndexInfo | Error> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        store.info(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`the index store did not answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    } finally {
      clearTimeout(timer);
    }
  };

  return async () => {
    const m = model();
    if (!m.loaded) return { ok: false, detail: m.detail };
    if (!last || now() - last.at >= reuseMs) last = { at: now(), result: probe() };
    const info = await last.result;
    if (info instanceof Error) {
      if (!down) options.log?.('readiness: the index store stopped answering', info);
      down = true;
      return { ok: false, detail: 'the index store is not answering; see the server log' };
    }
    down = false;
    return { ok: true, detail: `${m.detail}; index answering (${info.chunkCount} chunks in ${info.fileCount} files)` };
  };
}
