import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/util/package-root.js';
import { qdrantUnavailableReason, startQdrant, type QdrantServer } from '../test/support/qdrant-server.js';
import { evalCommand } from './cli.js';
import { loadDataset } from './dataset.js';
import { renderHtml } from './report-html.js';
import { formatReport } from './report-text.js';
import { latencyFigures, type EvalReport, type RetrievalRow } from './report.js';
import { compareStores, parseStoreKinds, storeSystemName } from './stores.js';

const row = (system: string, group: RetrievalRow['group'], store: string, hit1: number, times: number[]): RetrievalRow => ({
  dataset: 'dev', system, group, store, description: system, n: 3, metrics: { 'hit@1': hit1, 'mrr@10': hit1 }, latencyMs: latencyFigures(times), byKind: {},
});

describe('store comparison', () => {
  it('takes known store kinds, each once', () => {
    expect(parseStoreKinds(['sqlite', 'qdrant'])).toEqual(['sqlite', 'qdrant']);
    expect(() => parseStoreKinds(['sqlite', 'postgres'])).toThrow(/--stores takes sqlite, qdrant .*not "postgres"/);
    expect(() => parseStoreKinds(['qdrant', 'qdrant'])).toThrow(/names qdrant twice/);
  });

  it('puts each mode of every store side by side, with differences from the first and the share of equal top 10s', () => {
    const rows = [row('bm25', 'mode', 'sqlite', 0.5, [2, 3]), row(storeSystemName('bm25', 'qdrant'), 'store', 'qdrant', 0.75, [4, 5])];
    const top10 = new Map([
      ['dev\u0000bm25', [['a', 'b'], ['c'], ['d', 'e']]],
      ['dev\u0000bm25 · qdrant', [['a', 'b'], ['c'], ['e', 'd']]],
    ]);
    const [cmp] = compareStores(rows, ['sqlite', 'qdrant'], ['bm25', 'dense'], top10);
    expect(cmp).toMatchObject({ dataset: 'dev', system: 'bm25', diff: { qdrant: { 'hit@1': 0.25, 'mrr@10': 0.25 } }, sameTop10: { qdrant: 2 / 3 } });
    expect(cmp?.stores.map((s) => [s.store, s.latencyMs.p50])).toEqual([['sqlite', 2], ['qdrant', 4]]);
  });
});

const skip = qdrantUnavailableReason();
if (skip !== undefined) console.warn(skip);

/**
 * `qbank eval --stores sqlite,qdrant` end to end: the real pipeline and embedding model on three
 * corpus files and the dev-set questions about them, SQLite and a real Qdrant.
 */
describe.skipIf(skip !== undefined)('qbank eval --stores sqlite,qdrant', () => {
  const files = ['000_34e99dc8019cbd23.txt', '001_5bf45d9c8afd0c6e.txt', '002_bedc587ae5620290.txt'];
  let server: QdrantServer;
  let dir: string;
  let report: EvalReport;
  let printed = '';
  const saved = { ...process.env };

  beforeAll(async () => {
    server = await startQdrant();
    dir = mkdtempSync(join(tmpdir(), 'qbank-eval-stores-'));
    mkdirSync(join(dir, 'corpus'));
    for (const f of files) copyFileSync(join(packageRoot(), 'corpus', f), join(dir, 'corpus', f));
    const dev = loadDataset(join(packageRoot(), 'eval', 'datasets', 'dev.jsonl'));
    const about = dev.filter((i) => i.answerable && i.gold.flat().every((g) => 'file' in g && files.includes(g.file))).slice(0, 8);
    const unanswerable = dev.filter((i) => !i.answerable).slice(0, 2);
    writeFileSync(join(dir, 'small.jsonl'), [...about, ...unanswerable].map((i) => JSON.stringify(i)).join('\n'));
    Object.assign(process.env, { QDRANT_URL: server.url, QDRANT_COLLECTION: 'eval_stores', QBANK_CORPUS: join(dir, 'corpus'), QBANK_DATA_DIR: join(dir, 'data') });
    delete process.env['QBANK_STORE'];
    const out = { write: (s: string) => ((printed += s), true) } as unknown as NodeJS.WritableStream;
    const code = await evalCommand(['--stores', 'sqlite,qdrant', '--dataset', join(dir, 'small.jsonl'), '--no-variants', '--no-baseline', '--no-answers', '--quiet', '--out', join(dir, 'out')], { out, err: out });
    expect(code).toBe(0);
    report = JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8')) as EvalReport;
  }, 240_000);

  afterAll(async () => {
    process.env = saved;
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs the four search modes on both stores and records their metrics, differences and latency', () => {
    expect(report.stores?.stores).toEqual([
      { store: 'sqlite', where: join(dir, 'data', 'index.sqlite') },
      { store: 'qdrant', where: `${server.url}, collection eval_stores` },
    ]);
    const rows = report.stores?.rows ?? [];
    expect(rows.map((r) => r.system)).toEqual(['bm25', 'dense', 'hybrid (RRF)', 'hybrid+rerank']);
    for (const r of rows) {
      expect(r.stores.map((s) => s.store)).toEqual(['sqlite', 'qdrant']);
      for (const s of r.stores) {
        expect(s.n).toBe(8);
        expect(s.latencyMs.p50).toBeGreaterThan(0);
      }
      // Exact BM25 and, below Qdrant's indexing threshold, exact vector search: the same results.
      for (const d of Object.values(r.diff['qdrant'] ?? {})) expect(Math.abs(d)).toBeLessThan(1e-9);
      expect(r.sameTop10['qdrant']).toBe(1);
    }
    expect(report.retrieval.filter((r) => r.group === 'store').map((r) => [r.system, r.store])).toEqual([
      ['bm25 · qdrant', 'qdrant'], ['dense · qdrant', 'qdrant'], ['hybrid (RRF) · qdrant', 'qdrant'], ['hybrid+rerank · qdrant', 'qdrant'],
    ]);
    expect(report.best['small']).not.toMatch(/·/);
  });

  it('prints the comparison and draws it in report.html', () => {
    expect(printed).toMatch(/Stores on small: the same searches on sqlite \(.*\) and qdrant \(.*\); Δ = qdrant − sqlite/);
    expect(printed).toMatch(/hybrid\+rerank\s+sqlite\s+[\d.]+/);
    expect(printed).toMatch(/Δ qdrant\s+\+0\.000\s+\+0\.000/);
    expect(printed).toContain('100.0%');
    expect(formatReport(report)).toBe(printed.slice(0, printed.indexOf('\nWrote ')));
    const html = readFileSync(join(dir, 'out', 'report.html'), 'utf8');
    expect(html).toBe(renderHtml(report));
    expect(html).toContain('<h2>Stores — small</h2>');
    expect(html).toContain('Latency p50 per store, ms — small');
  });

  it('says how to start Qdrant when it does not answer, before evaluating anything', async () => {
    // A port nothing listens on (9 would be refused by fetch itself as a blocked port).
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => resolve(port));
      });
    });
    process.env['QDRANT_URL'] = `http://127.0.0.1:${closed}`;
    const sink = { write: () => true } as unknown as NodeJS.WritableStream;
    await expect(evalCommand(['--stores', 'sqlite,qdrant', '--dataset', join(dir, 'small.jsonl'), '--quiet'], { out: sink, err: sink })).rejects.toThrow(
      /Qdrant at http:\/\/127\.0\.0\.1:\d+ did not answer \(ECONNREFUSED\)\. Start one — `docker compose up -d qdrant`, or .*@just-memory\/qdrant-linux-x64.* and point QDRANT_URL at it, or leave qdrant out of --stores\./,
    );
    await expect(evalCommand(['--stores', 'sqlite,qdrant', '--store', 'qdrant'], { out: sink, err: sink })).rejects.toThrow(/--store and --stores do not go together/);
    process.env['QDRANT_URL'] = server.url;
  });
});
