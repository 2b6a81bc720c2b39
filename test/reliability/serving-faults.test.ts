/**
 * Faults while serving (issue 6):
 * - an embedder that throws part-way through a batch commits nothing: the index is unchanged
 *   (SQLite, and a real Qdrant), and the next ingest completes;
 * - Qdrant stopped under a running server: /readyz fails, /v1/ask and /v1/search answer 503
 *   problem JSON (no stack, no address), and the server recovers by itself when Qdrant comes
 *   back on the same port and storage;
 * - the LLM server hanging, failing with 5xx, or stalling mid-stream: the answer falls back to
 *   the extractive one within the deadline, flagged, through the HTTP API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { runIngest } from '../../src/cli/main.js';
import { createApiRuntime, createAskService, type ApiRuntime } from '../../src/compose.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Embedder } from '../../src/ports/embedder.js';
import type { Store } from '../../src/ports/store.js';
import { QdrantStore } from '../../src/store/qdrant/qdrant-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { packageRoot } from '../../src/util/package-root.js';
import { DEFAULT_CHUNK_OPTIONS } from '../../ingest/chunk.js';
import { ingestCorpus } from '../../ingest/pipeline.js';
import { HashEmbedder } from '../support/hash-embedder.js';
import { buildMemoryIndex, type MemoryIndex } from '../support/memory-index.js';
import { qdrantBinary, qdrantEnv, qdrantUnavailableReason } from '../support/qdrant-server.js';
import { testApi } from '../support/test-api.js';
import { recordFigure } from './figures.js';

const root = packageRoot();
const FILES = ['000_34e99dc8019cbd23.txt', '001_5bf45d9c8afd0c6e.txt'];
const noQdrant = qdrantUnavailableReason();
if (noQdrant) console.warn(`[reliability] ${noQdrant}`);

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'qbank-serving-faults-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function corpusAt(dir: string, files: readonly string[] = FILES): string {
  const corpusDir = join(dir, 'corpus');
  mkdirSync(corpusDir, { recursive: true });
  for (const f of files) copyFileSync(join(root, 'corpus', f), join(corpusDir, f));
  return corpusDir;
}

/** A Qdrant process on fixed ports and storage, so that it can be stopped and started again as the same server. */
interface QdrantProcess {
  url: string;
  start(): Promise<void>;
  /** SIGKILL: a crash, not a shutdown. */
  kill(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function qdrantProcess(dir: string): Promise<QdrantProcess> {
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${httpPort}`;
  let child: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  return {
    url,
    async start() {
      child = spawn(qdrantBinary(), [], {
        cwd: dir,
        detached: true,
        stdio: 'ignore',
        env: qdrantEnv(dir, httpPort, grpcPort),
      });
      exited = once(child, 'exit');
      for (let i = 0; i < 600; i++) {
        if (child.exitCode !== null) throw new Error(`Qdrant exited with ${child.exitCode}`);
        if (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) return;
        await sleep(100);
      }
      throw new Error('Qdrant did not become ready in 60 s');
    },
    async kill() {
      if (!child?.pid || child.exitCode !== null) return;
      process.kill(-child.pid, 'SIGKILL');
      await exited;
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every 100 ms until it returns true; the time it took, ms. */
async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const t = performance.now();
  while (performance.now() - t < timeoutMs) {
    if (await probe().catch(() => false)) return performance.now() - t;
    await sleep(100);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms`);
}

// ---- an embedder that fails part-way ----

/** The hash embedder, failing once `failAfter` texts have been embedded in this run. */
class FailingEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  readonly maxBatchSize = 256;
  embedded = 0;
  constructor(private readonly inner: HashEmbedder, private readonly failAfter: number) {
    this.id = inner.id;
    this.dimensions = inner.dimensions;
  }
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const room = this.failAfter - this.embedded;
    if (room < texts.length) {
      // Part of the batch is computed before the failure, as a model server dying mid-request would.
      await this.inner.embed(texts.slice(0, Math.max(0, room)));
      this.embedded += Math.max(0, room);
      throw new Error(`the embedding server closed the connection after ${this.embedded} texts`);
    }
    this.embedded += texts.length;
    return this.inner.embed(texts);
  }
}

/** Everything a reader can see of the index: files, counts, and every chunk's id and span. */
async function snapshot(store: Store): Promise<string> {
  const files = await store.listFiles();
  const info = await store.info();
  const chunks = [];
  for (const f of files) chunks.push(...(await store.chunksOfFile(f.file)).map((c) => `${c.id}@${c.start}-${c.end}`));
  return JSON.stringify({ files, chunkCount: info.chunkCount, fileCount: info.fileCount, chunks: chunks.sort() });
}

async function failMidBatch(name: string, open: (embedder: HashEmbedder) => Promise<Store>): Promise<void> {
  const dir = mkdtempSync(join(work, 'embed-'));
  const corpusDir = corpusAt(dir);
  const options = { corpusDir, chunk: DEFAULT_CHUNK_OPTIONS, jsonFields: { id: 'id', title: 'title', text: 'text', url: 'url' } };
  const inner = new HashEmbedder(64);
  const store = await open(inner);
  try {
    await ingestCorpus({ store, embedder: inner }, options);
    const before = await snapshot(store);
    // Change one file and add another: 60+ chunks to embed, in slices of 32.
    writeFileSync(join(corpusDir, FILES[0] ?? ''), `# Changed\n\nThe first file was rewritten: a passage about speculative decoding.\n`, { flag: 'a' });
    copyFileSync(join(root, 'corpus', '004_29baa6f2a6fa364a.txt'), join(corpusDir, '004_29baa6f2a6fa364a.txt'));
    const failing = new FailingEmbedder(inner, 40);
    await expect(ingestCorpus({ store, embedder: failing }, options)).rejects.toThrow(/closed the connection after 40 texts/);
    expect(failing.embedded).toBe(40);
    expect(await snapshot(store)).toBe(before);
    const report = await ingestCorpus({ store, embedder: inner }, options);
    expect(report.files.map((f) => f.status).sort()).toEqual(['added', 'changed', 'unchanged']);
    expect(await snapshot(store)).not.toBe(before);
    recordFigure(`embedder fails mid-batch (${name})`, `threw after 40 of ${report.embeddedChunks} texts; index unchanged; the next ingest completed`);
  } finally {
    await store.close();
  }
}

describe('an embedder that throws part-way through a batch', () => {
  it('commits nothing to a SQLite index', async () => {
    await failMidBatch('SQLite', async (e) => SqliteStore.open({ path: join(mkdtempSync(join(work, 'sqlite-')), 'index.sqlite'), embedderId: e.id, dimensions: e.dimensions }));
  });

  it.skipIf(noQdrant !== undefined)('commits nothing to a Qdrant index', async () => {
    const q = await qdrantProcess(mkdtempSync(join(work, 'qdrant-embed-')));
    await q.start();
    try {
      await failMidBatch('Qdrant', (e) => QdrantStore.connect({ url: q.url, collection: 'embed_faults', shardNumber: 1, replicationFactor: 1, embedderId: e.id, dimensions: e.dimensions }));
    } finally {
      await q.kill();
    }
  }, 120_000);
});

// ---- Qdrant goes away under a running server ----

describe.skipIf(noQdrant !== undefined)('Qdrant stopped under a running server', () => {
  let qdrant: QdrantProcess;
  let runtime: ApiRuntime;
  let server: RunningServer;
  const logged: string[] = [];

  beforeAll(async () => {
    const dir = mkdtempSync(join(work, 'qdrant-serve-'));
    qdrant = await qdrantProcess(dir);
    await qdrant.start();
    const env = { QDRANT_URL: qdrant.url, QDRANT_COLLECTION: 'serving_faults' };
    const config: Config = loadConfig({ corpus: corpusAt(dir, ['002_bedc587ae5620290.txt']), dataDir: join(dir, 'data'), store: 'qdrant' }, env);
    await runIngest(config, { rebuild: false });
    runtime = await createApiRuntime(config, { log: (m, e) => logged.push(`${m}: ${e instanceof Error ? e.message : String(e)}`) });
    await runtime.warmUp();
    server = await startServer(runtime.app, { host: '127.0.0.1', port: 0 });
  }, 300_000);
  afterAll(async () => {
    await server?.close();
    await runtime?.close();
    await qdrant?.kill();
  });

  const ask = (question: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ question }) });
  const readyStatus = async () => (await fetch(`${server.url}/readyz`)).status;

  it('fails readiness and answers 503 problem JSON while Qdrant is down, and recovers by itself', async () => {
    expect(await readyStatus()).toBe(200);
    expect((await ask('What is the KV cache?')).status).toBe(200);

    await qdrant.kill();
    const killedAt = performance.now();
    const toUnready = await until('/readyz 503', async () => (await readyStatus()) === 503, 15_000);
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { ready: boolean; detail: string };
    expect(ready).toMatchObject({ ready: false, detail: 'the index store is not answering; see the server log' });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    const problems = [];
    for (const res of [
      await ask('Explain scaled dot-product attention and why the scaling factor matters.'),
      await fetch(`${server.url}/v1/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'tokenization' }) }),
    ]) {
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.headers.get('retry-after')).toBe('5');
      const text = await res.text();
      expect(text).not.toMatch(/\bat .+:\d+|127\.0\.0\.1|qdrant/i);
      problems.push(JSON.parse(text) as { code: string; status: number });
    }
    expect(problems.map((p) => [p.status, p.code])).toEqual([
      [503, 'unavailable'],
      [503, 'unavailable'],
    ]);
    const streamed = await (await ask('What is a transformer?', { accept: 'text/event-stream' })).text();
    expect(streamed).toMatch(/event: error\ndata: \{"code":"unavailable","message":"The index store is not answering; try again shortly\.","status":503\}/);
    expect(logged.some((l) => l.startsWith('readiness: the index store stopped answering'))).toBe(true);

    await qdrant.start();
    const restartedAt = performance.now();
    const toReady = await until('/readyz 200 again', async () => (await readyStatus()) === 200, 30_000);
    const res = await ask('Explain scaled dot-product attention and why the scaling factor matters.');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { citations: unknown[] }).citations.length).toBeGreaterThan(0);
    recordFigure(
      'Qdrant killed while serving',
      `/readyz 503 after ${(toUnready / 1000).toFixed(1)} s, /v1/ask and /v1/search 503 problem JSON (SSE: error frame 503); ` +
        `back to 200 ${(toReady / 1000).toFixed(1)} s after Qdrant restarted, with no restart of qbank (outage ${((restartedAt - killedAt) / 1000).toFixed(1)} s)`,
    );
  }, 120_000);
});

// ---- the LLM server fails ----

interface FakeLlm {
  url: string;
  mode: 'hang' | 'error' | 'stall';
  requests: number;
  http: Server;
}

/** An OpenAI-compatible chat server on loopback that hangs, fails with 500, or stalls after a few tokens. */
async function fakeLlm(): Promise<FakeLlm> {
  const state = { mode: 'hang' } as FakeLlm;
  state.requests = 0;
  state.http = createServer(async (req, res) => {
    for await (const _ of req) void _;
    state.requests += 1;
    if (state.mode === 'hang') return;
    if (state.mode === 'error') {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'the model crashed', type: 'server_error' } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (content: string) => `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
    res.write(chunk('Attention weighs '));
    res.write(chunk('the tokens '));
    // …and never finishes.
  });
  state.http.listen(0, '127.0.0.1');
  await once(state.http, 'listening');
  state.url = `http://127.0.0.1:${(state.http.address() as AddressInfo).port}/v1`;
  return state;
}

describe('the LLM server times out or fails', () => {
  const TIMEOUT_MS = 1500;
  let llm: FakeLlm;
  let index: MemoryIndex;
  let server: RunningServer;
  let errors: unknown[];

  beforeAll(async () => {
    llm = await fakeLlm();
    index = await buildMemoryIndex({ files: ['002_bedc587ae5620290.txt'] });
    const config = loadConfig({}, { QBANK_LLM_MODEL: 'test-model', OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'sk-test-0123456789', QBANK_LLM_TIMEOUT_MS: String(TIMEOUT_MS) });
    const ask = createAskService(config, index.searcher, index.embedder, index.corpus);
    const api = testApi(index, {}, { ask });
    errors = api.errors;
    server = await startServer(api.app, { host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    llm?.http.closeAllConnections();
    llm?.http.close();
    await index?.close();
  });

  const QUESTION = 'Explain scaled dot-product attention and why the scaling factor matters.';

  it.each([
    ['never answers', 'hang', /did not (answer|finish its answer) within 1500 ms/],
    ['fails with 500', 'error', /500 the model crashed|did not (answer|finish its answer) within 1500 ms/],
  ] as const)('falls back to the extractive answer within the deadline when the server %s', async (_name, mode, reason) => {
    llm.mode = mode;
    const t = performance.now();
    const res = await fetch(`${server.url}/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: QUESTION, answerer: 'llm' }) });
    const elapsed = performance.now() - t;
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { answerer: string; fallback?: { reason: string }; citations: unknown[] };
    expect(answer.answerer).toBe('extractive');
    expect(answer.fallback?.reason).toMatch(reason);
    expect(answer.citations.length).toBeGreaterThan(0);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 1500);
    recordFigure(`LLM server ${_name}`, `extractive fallback, flagged (${answer.fallback?.reason ?? ''}), in ${(elapsed / 1000).toFixed(2)} s (deadline ${TIMEOUT_MS / 1000} s)`);
  }, 30_000);

  it('streams the model tokens it got, then the flagged fallback, when the server stalls mid-answer', async () => {
    llm.mode = 'stall';
    const t = performance.now();
    const res = await fetch(`${server.url}/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify({ question: QUESTION, answerer: 'llm' }) });
    const text = await res.text();
    const elapsed = performance.now() - t;
    expect(res.status).toBe(200);
    const frames = text.split('\n\n').filter(Boolean).map((f) => ({ event: /^event: (\w+)/.exec(f)?.[1], data: JSON.parse(/\ndata: (.*)/.exec(f)?.[1] ?? 'null') as Record<string, unknown> }));
    expect(frames[0]).toEqual({ event: 'delta', data: { text: 'Attention weighs ' } });
    expect(frames.some((f) => f.event === 'delta' && String(f.data['text']).includes('[The language model failed ('))).toBe(true);
    const done = frames.at(-1);
    expect(done?.event).toBe('done');
    expect(done?.data).toMatchObject({ answerer: 'extractive', fallback: { reason: expect.stringMatching(/within 1500 ms/) } });
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 1500);
    // Each fallback is logged by its code alone; nothing failed.
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e).toMatch(/^the language model failed \(llm_(timeout|failed)\)$/);
    recordFigure('LLM server stalls mid-stream', `its tokens streamed, then the flagged extractive fallback, done in ${(elapsed / 1000).toFixed(2)} s`);
  }, 30_000);
});
