import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSearcher } from '../src/compose.js';
import { ConfigSchema, type Config } from '../src/config.js';
import { analyze } from '../src/lang/analyzer.js';
import type { Store } from '../src/ports/store.js';
import type { SearchResponse } from '../src/search/searcher.js';
import { expectRanking } from '../src/store/expect-ranking.js';
import { QdrantStore } from '../src/store/qdrant/qdrant-store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { packageRoot } from '../src/util/package-root.js';
import { ingestCorpus } from '../ingest/pipeline.js';
import { loadDataset } from '../eval/dataset.js';
import { resolveGold } from '../eval/gold.js';
import { chunksByFile, scoreMode } from '../eval/retrieval-report.js';
import { HashEmbedder } from './support/hash-embedder.js';
import { qdrantUnavailableReason, startQdrant, type QdrantServer } from './support/qdrant-server.js';

const skip = qdrantUnavailableReason();
if (skip !== undefined) console.warn(skip);

/**
 * The Qdrant store behind the real searcher, on the real corpus, next to the SQLite store:
 * same chunks (both ingested by the real pipeline), same deterministic embedder.
 */
describe.skipIf(skip !== undefined)('Qdrant scale-out on the real corpus', () => {
  const corpusDir = join(packageRoot(), 'corpus');
  const config: Config = ConfigSchema.parse({ corpusDir, dataDir: join(corpusDir, '..', '.qbank-test'), store: { kind: 'sqlite', path: ':memory:' }, embedder: { kind: 'local' } });
  const items = loadDataset(join(packageRoot(), 'eval', 'datasets', 'dev.jsonl'));
  const embedder = new HashEmbedder(384);
  let server: QdrantServer;
  let sqlite: SqliteStore;
  let writer: QdrantStore;
  /** Two "API processes": separate connections, nothing shared but the server. */
  let api: [QdrantStore, QdrantStore];

  beforeAll(async () => {
    server = await startQdrant();
    const options = { url: server.url, collection: 'qbank', shardNumber: 2, replicationFactor: 1, embedderId: embedder.id, dimensions: embedder.dimensions };
    sqlite = SqliteStore.open({ path: ':memory:', embedderId: embedder.id, dimensions: embedder.dimensions });
    writer = await QdrantStore.connect(options);
    const ingestOptions = { corpusDir, chunk: config.chunk, jsonFields: config.jsonFields };
    await ingestCorpus({ store: sqlite, embedder }, ingestOptions);
    const report = await ingestCorpus({ store: writer, embedder }, ingestOptions);
    expect(report.changed).toBe(true);
    api = [await QdrantStore.connect({ ...options, readonly: true }), await QdrantStore.connect({ ...options, readonly: true })];
  });
  afterAll(async () => {
    await Promise.all([sqlite?.close(), writer?.close(), ...(api ?? []).map((s) => s.close())]);
    await server?.stop();
  });

  it('holds the same index as the SQLite store after the same ingest, and a second ingest changes nothing', async () => {
    const [a, b] = [await sqlite.info(), await writer.info()];
    expect(b).toMatchObject({ chunkCount: a.chunkCount, fileCount: a.fileCount });
    expect(await writer.listFiles()).toStrictEqual(await sqlite.listFiles());
    for (const f of await sqlite.listFiles()) expect(await writer.chunksOfFile(f.file)).toStrictEqual(await sqlite.chunksOfFile(f.file));
    const again = await ingestCorpus({ store: writer, embedder }, { corpusDir, chunk: config.chunk, jsonFields: config.jsonFields });
    expect(again.changed).toBe(false);
  });

  it('scores keyword search exactly like SQLite (same term statistics), and vector search within float32', async () => {
    for (const item of items) {
      const terms = analyze(item.question, item.lang === 'de' ? 'de' : 'en');
      const reference = new Map((await sqlite.keywordSearch(terms, 100_000)).map((h) => [h.id, h.score]));
      expectRanking(await api[0].keywordSearch(terms, 50), reference, 50, 1e-9);
      expect(await api[1].termStatistics(terms)).toStrictEqual(await sqlite.termStatistics(terms));
      const [v] = await embedder.embed([item.question]);
      const dense = new Map((await sqlite.vectorSearch(v as Float32Array, 100_000)).map((h) => [h.id, h.score]));
      expectRanking(await api[0].vectorSearch(v as Float32Array, 50), dense, 50, 1e-5);
    }
  });

  it('gives identical answers from two API processes over one Qdrant (the store is stateless)', async () => {
    const [one, two] = api.map((store) => createSearcher(config, store, embedder));
    for (const item of items) {
      const filter = item.id.endsWith('3') ? { difficulty: ['Hard', 'Medium'] } : undefined;
      const request = { query: item.question, k: 10, ...(filter ? { filter } : {}) };
      const [r1, r2] = await Promise.all([one!.search(request), two!.search(request)]);
      expect(withoutTimings(r1)).toStrictEqual(withoutTimings(r2));
    }
  });

  it('ranks the evaluation set as the SQLite store does', async () => {
    const gold = resolveGold(items, await chunksByFile(sqlite), (f) => readFileSync(join(corpusDir, f), 'utf8'));
    const rows = [];
    const top5: string[][][] = [];
    for (const store of [sqlite, api[0]] as Store[]) {
      const searcher = createSearcher(config, store, embedder);
      const { row, runs } = await scoreMode(items, gold, (q) => searcher.search({ query: q, k: 10 }), store.kind);
      rows.push(row);
      top5.push(runs.map((r) => r.response.results.slice(0, 5).map((x) => x.id)));
    }
    const [s, q] = rows;
    for (const metric of ['hit1', 'recall5', 'mrr10', 'ndcg10'] as const) expect(Math.abs((s?.[metric] ?? 0) - (q?.[metric] ?? 1))).toBeLessThanOrEqual(0.01);
    const same = top5[0]?.filter((ids, i) => JSON.stringify(ids) === JSON.stringify(top5[1]?.[i])).length ?? 0;
    expect(same / items.length).toBeGreaterThanOrEqual(0.95);
  });
});

function withoutTimings(r: SearchResponse): Omit<SearchResponse, 'timings'> {
  const { timings: _timings, ...rest } = r;
  return rest;
}
