import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { createCachedEmbedder, createSearcher, openStore } from '../src/compose.js';
import { DEFAULT_HEURISTIC_WEIGHTS, HeuristicReranker, type HeuristicWeights } from '../src/search/heuristic-reranker.js';
import { packageRoot } from '../src/util/package-root.js';
import { loadDataset } from './dataset.js';
import { resolveGold } from './gold.js';
import { chunksByFile, formatRows, scoreMode, type RetrievalRow } from './retrieval-report.js';

/** Prints the development-set figures of the heuristic reranker for a grid of weights, in one run. */
async function main(): Promise<void> {
  const config = loadConfig();
  const items = loadDataset(process.argv[2] ?? join(packageRoot(), 'eval', 'datasets', 'dev.jsonl'));
  const embedder = createCachedEmbedder(config);
  const store = await openStore(config, embedder, { readonly: true });
  const gold = resolveGold(items, await chunksByFile(store), (f) => readFileSync(join(config.corpusDir, f), 'utf8'));
  const rows: RetrievalRow[] = [];
  const grid: HeuristicWeights[] = [];
  for (const fused of [0, 1, 2]) for (const dense of [0, 1, 2]) for (const titleCoverage of [0, 0.5, 1]) for (const textCoverage of [0, 0.3, 0.6]) grid.push({ fused, dense, titleCoverage, textCoverage, declared: DEFAULT_HEURISTIC_WEIGHTS.declared });
  for (const w of grid) {
    if (w.fused === 0 && w.dense === 0) continue;
    const searcher = createSearcher(config, store, embedder, new HeuristicReranker(w));
    const { row } = await scoreMode(items, gold, (q) => searcher.search({ query: q, k: 10 }), `f${w.fused} d${w.dense} t${w.titleCoverage} x${w.textCoverage}`);
    rows.push(row);
  }
  rows.sort((a, b) => b.mrr10 + b.recall5 - (a.mrr10 + a.recall5));
  console.log(formatRows(rows.slice(0, 25)));
  await store.close();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
