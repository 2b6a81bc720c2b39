import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../src/config.js';
import { createCachedEmbedder, createReranker, createSearcher, openStore } from '../src/compose.js';
import type { Chunk } from '../src/ports/chunk.js';
import type { Reranker } from '../src/ports/reranker.js';
import type { Store } from '../src/ports/store.js';
import { SEARCH_MODES, type SearchMode, type SearchResponse } from '../src/search/searcher.js';
import { packageRoot } from '../src/util/package-root.js';
import { runIngest } from '../src/cli/main.js';
import { loadDataset, type EvalItem } from './dataset.js';
import { resolveGold, type ResolvedGold } from './gold.js';
import { hitAtK, mean, mrrAtK, ndcgAtK, precisionAtK, recallAtK, type Retrieved } from './metrics.js';

/** One configuration's figures over the answerable items. */
export interface RetrievalRow {
  name: string;
  hit1: number;
  recall5: number;
  mrr10: number;
  precision5: number;
  ndcg10: number;
  p50Ms: number;
  n: number;
}

export interface ItemRun {
  item: EvalItem;
  response: SearchResponse;
  retrieved: Retrieved;
}

/** Runs every answerable item through one search configuration and scores it. */
export async function scoreMode(
  items: readonly EvalItem[],
  gold: ResolvedGold,
  search: (q: string) => Promise<SearchResponse>,
  name: string,
): Promise<{ row: RetrievalRow; runs: ItemRun[] }> {
  const runs: ItemRun[] = [];
  const times: number[] = [];
  for (const item of items) {
    const t = performance.now();
    const response = await search(item.question);
    times.push(performance.now() - t);
    runs.push({ item, response, retrieved: response.results.map((r) => [r.id, ...(r.duplicates ?? [])]) });
  }
  const answerable = runs.filter((r) => r.item.answerable);
  const m = (f: (r: ItemRun, facets: readonly ReadonlySet<string>[]) => number) => mean(answerable.map((r) => f(r, gold.get(r.item.id) ?? [])));
  times.sort((a, b) => a - b);
  return {
    runs,
    row: {
      name,
      hit1: m((r, f) => hitAtK(r.retrieved, f, 1)),
      recall5: m((r, f) => recallAtK(r.retrieved, f, 5)),
      mrr10: m((r, f) => mrrAtK(r.retrieved, f, 10)),
      precision5: m((r, f) => precisionAtK(r.retrieved, f, 5)),
      ndcg10: m((r, f) => ndcgAtK(r.retrieved, f, 10)),
      p50Ms: times[Math.floor(times.length / 2)] ?? 0,
      n: answerable.length,
    },
  };
}

/** Every chunk of the store, by file (for resolving gold quotes). */
export async function chunksByFile(store: Store): Promise<Map<string, Chunk[]>> {
  const out = new Map<string, Chunk[]>();
  for (const f of await store.listFiles()) out.set(f.file, await store.chunksOfFile(f.file));
  return out;
}

export function formatRows(rows: readonly RetrievalRow[]): string {
  const head = `${'configuration'.padEnd(22)} ${['Hit@1', 'Recall@5', 'MRR@10', 'P@5', 'nDCG@10', 'p50 ms'].map((h) => h.padStart(9)).join('')}`;
  const lines = rows.map(
    (r) => `${r.name.padEnd(22)} ${[r.hit1, r.recall5, r.mrr10, r.precision5, r.ndcg10].map((x) => x.toFixed(3).padStart(9)).join('')}${r.p50Ms.toFixed(1).padStart(9)}`,
  );
  return [head, '-'.repeat(head.length), ...lines].join('\n');
}

const MODE_NAMES: Record<SearchMode, string> = { bm25: 'bm25-only', dense: 'dense-only', hybrid: 'hybrid (RRF)', rerank: 'hybrid+rerank' };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { dataset: { type: 'string' }, json: { type: 'boolean' }, worst: { type: 'string' }, 'no-ingest': { type: 'boolean' } },
  });
  const config: Config = loadConfig();
  const datasetPath = values.dataset ?? join(packageRoot(), 'eval', 'datasets', 'dev.jsonl');
  const items = loadDataset(datasetPath);
  if (!values['no-ingest']) await runIngest(config, { rebuild: false });
  const embedder = createCachedEmbedder(config);
  const store = await openStore(config, embedder, { readonly: true });
  const byFile = await chunksByFile(store);
  const gold = resolveGold(items, byFile, (f) => readFileSync(join(config.corpusDir, f), 'utf8'));
  const reranker: Reranker = createReranker(config);
  const searcher = createSearcher(config, store, embedder, reranker);
  await searcher.search({ query: 'warm up' });

  const rows: RetrievalRow[] = [];
  let rerankRuns: ItemRun[] = [];
  for (const mode of SEARCH_MODES) {
    const { row, runs } = await scoreMode(items, gold, (q) => searcher.search({ query: q, k: 10, mode }), MODE_NAMES[mode]);
    rows.push(row);
    if (mode === 'rerank') rerankRuns = runs;
  }
  const answerable = items.filter((i) => i.answerable).length;
  console.log(`Retrieval on ${datasetPath.split('/').slice(-2).join('/')}: ${answerable} answerable + ${items.length - answerable} unanswerable questions; embedder ${embedder.id}, reranker ${reranker.id}\n`);
  console.log(formatRows(rows));

  // Per-kind breakdown of the full pipeline.
  const kinds = [...new Set(items.filter((i) => i.answerable).map((i) => i.kind))];
  console.log('\nhybrid+rerank by kind:');
  for (const kind of kinds) {
    const runs = rerankRuns.filter((r) => r.item.answerable && r.item.kind === kind);
    const f = (r: ItemRun) => gold.get(r.item.id) ?? [];
    console.log(
      `  ${kind.padEnd(14)} n=${String(runs.length).padStart(3)}  Hit@1 ${mean(runs.map((r) => hitAtK(r.retrieved, f(r), 1))).toFixed(3)}  Recall@5 ${mean(runs.map((r) => recallAtK(r.retrieved, f(r), 5))).toFixed(3)}  MRR@10 ${mean(runs.map((r) => mrrAtK(r.retrieved, f(r), 10))).toFixed(3)}`,
    );
  }
  // Abstention on the full pipeline.
  const un = rerankRuns.filter((r) => !r.item.answerable);
  const an = rerankRuns.filter((r) => r.item.answerable);
  const tp = un.filter((r) => r.response.abstained).length;
  const fp = an.filter((r) => r.response.abstained).length;
  console.log(`\nabstention: precision ${(tp / Math.max(1, tp + fp)).toFixed(3)}, recall ${(tp / Math.max(1, un.length)).toFixed(3)}, false-abstain rate ${(fp / Math.max(1, an.length)).toFixed(3)}`);

  const worst = Number(values.worst ?? 0);
  if (worst > 0) {
    console.log(`\nmisses (Recall@5 < 1), up to ${worst}:`);
    for (const r of an.filter((r) => recallAtK(r.retrieved, gold.get(r.item.id) ?? [], 5) < 1).slice(0, worst)) {
      console.log(`- [${r.item.kind}] ${r.item.question}`);
      for (const res of r.response.results.slice(0, 3)) console.log(`    ${res.source.file.slice(0, 3)} ${res.source.title?.slice(0, 80) ?? '-'} (${res.score})`);
      console.log(`    gold: ${r.item.gold.map((f) => f.map((g) => ('file' in g ? g.file.slice(0, 3) : '?') + ('quote' in g ? `:${g.quote.slice(0, 40)}` : '')).join(' | ')).join(' & ')}`);
    }
  }
  if (values.json) console.log(JSON.stringify({ rows }, null, 2));
  await store.close();
  await embedder.close?.();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
