/**
 * Ingest and search benchmark (issue 2). Prints figures; asserts nothing.
 *
 *   npm run bench -- [--sizes 2000,10000,50000] [--queries 200] [--skip-ingest]
 *
 * 1. Full ingest of corpus/ from scratch (fresh data dir, empty embedding cache, model load
 *    included) and re-ingest of the unchanged corpus, both as CLI processes (wall time).
 * 2. In-process warm search over the real index, query embedding included (every query is
 *    new to the query cache), p50/p99 and resident memory.
 * 3. Scale: synthetic indexes of N chunks (real chunks with shuffled words and perturbed
 *    vectors), search latency and index size as N grows.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../src/config.js';
import { createCachedEmbedder, createSearcher, openStore } from '../src/compose.js';
import type { StoredChunk } from '../src/ports/chunk.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { packageRoot } from '../src/util/package-root.js';
import { termsOf } from '../ingest/pipeline.js';

const { values } = parseArgs({ options: { sizes: { type: 'string' }, queries: { type: 'string' }, 'skip-ingest': { type: 'boolean' } } });
const sizes = (values.sizes ?? '2000,10000,50000').split(',').map(Number);
const root = packageRoot();
const bin = join(root, 'bin', 'qbank.js');

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const ms = (x: number) => `${x.toFixed(2)} ms`;

function timeCli(args: string[], env: NodeJS.ProcessEnv): number {
  const t = performance.now();
  execFileSync(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  return performance.now() - t;
}

const queries = readFileSync(join(root, 'eval', 'datasets', 'dev.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => (JSON.parse(l) as { question: string }).question);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'qbank-bench-'));
  console.log(`qbank search benchmark — node ${process.version}, data dir ${dataDir}\n`);
  try {
    if (!values['skip-ingest']) {
      const full = timeCli(['ingest', '--quiet', '--data-dir', dataDir], {});
      const again = timeCli(['ingest', '--quiet', '--data-dir', dataDir], {});
      console.log(`full ingest from scratch (CLI, model load included): ${(full / 1000).toFixed(2)} s   [target ≤ 60 s]`);
      console.log(`re-ingest of the unchanged corpus (CLI):            ${(again / 1000).toFixed(2)} s   [target ≤ 2 s]\n`);
    }
    const config: Config = loadConfig({ dataDir });
    if (values['skip-ingest']) execFileSync(process.execPath, [bin, 'ingest', '--quiet', '--data-dir', dataDir], { stdio: 'ignore' });
    const embedder = createCachedEmbedder(config);
    const store = await openStore(config, embedder, { readonly: true });
    const searcher = createSearcher(config, store, embedder);
    for (const q of ['warm up the model', 'explain GQA vs MQA', 'Wie funktioniert LoRA?']) await searcher.search({ query: q });
    const n = Math.min(Number(values.queries ?? 200), queries.length);
    const times: number[] = [];
    for (const q of queries.slice(0, n)) {
      const t = performance.now();
      await searcher.search({ query: q });
      times.push(performance.now() - t);
    }
    const info = await store.info();
    console.log(`warm in-process search, ${info.chunkCount} chunks, ${n} distinct queries (query embedding included):`);
    console.log(`  p50 ${ms(percentile(times, 50))}  p99 ${ms(percentile(times, 99))}  max ${ms(Math.max(...times))}   [targets p50 ≤ 10 ms, p99 ≤ 30 ms]`);
    console.log(`  resident memory ${mb(process.memoryUsage().rss)}   [target ≤ 600 MB]\n`);

    // Scale: synthetic indexes built from the real chunks.
    const real: StoredChunk[] = [];
    const vectors = await store.getVectors((await Promise.all((await store.listFiles()).map((f) => store.chunksOfFile(f.file)))).flat().map((c) => c.id));
    for (const f of await store.listFiles()) {
      for (const c of await store.chunksOfFile(f.file)) real.push({ ...c, terms: termsOf(c), vector: vectors.get(c.id) ?? new Float32Array(embedder.dimensions) });
    }
    await store.close();
    console.log('scale (synthetic chunks: real chunks with shuffled words and perturbed vectors):');
    console.log(`  ${'chunks'.padStart(7)} ${'build'.padStart(9)} ${'index size'.padStart(11)} ${'p50'.padStart(10)} ${'p99'.padStart(10)}`);
    for (const size of sizes) {
      const path = join(dataDir, `synthetic-${size}.sqlite`);
      const synth = SqliteStore.open({ path, embedderId: embedder.id, dimensions: embedder.dimensions });
      const t0 = performance.now();
      let seed = 42;
      const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      const perFile = 1000;
      for (let start = 0; start < size; start += perFile) {
        const file = `synthetic/${String(start / perFile).padStart(4, '0')}.md`;
        const chunks: StoredChunk[] = [];
        for (let i = start; i < Math.min(size, start + perFile); i++) {
          const base = real[i % real.length] as StoredChunk;
          const v = base.vector.map((x) => x + (rand() - 0.5) * 0.05);
          let norm = 0;
          for (const x of v) norm += x * x;
          const vector = v.map((x) => x / Math.sqrt(norm));
          const terms = [...base.terms].sort(() => rand() - 0.5).slice(0, Math.max(5, Math.floor(base.terms.length * (0.5 + rand() / 2))));
          chunks.push({ ...base, id: `s${i}`, file, start: 0, end: 1, terms, vector });
        }
        await synth.apply({ upsert: [{ file: { file, hash: file, chunkCount: chunks.length }, chunks }], remove: [] });
      }
      const build = performance.now() - t0;
      const s = createSearcher(config, synth, embedder);
      for (const q of queries.slice(0, 5)) await s.search({ query: q });
      const lat: number[] = [];
      for (const q of queries.slice(0, Math.min(100, queries.length))) {
        const t = performance.now();
        await s.search({ query: `${q} (${size})` }); // new text: the query cache does not answer
        lat.push(performance.now() - t);
      }
      await synth.close();
      console.log(`  ${String(size).padStart(7)} ${`${(build / 1000).toFixed(1)} s`.padStart(9)} ${mb(statSync(path).size).padStart(11)} ${ms(percentile(lat, 50)).padStart(10)} ${ms(percentile(lat, 99)).padStart(10)}`);
    }
    console.log('  [target at 50,000 chunks: p50 ≤ 50 ms]');
    console.log(`  resident memory at the end ${mb(process.memoryUsage().rss)}`);
    await embedder.close?.();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
