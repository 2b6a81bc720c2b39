/**
 * Load held (issue 6): the real server, started as `npm start` starts it (the same node flags,
 * `bin/qbank.js serve`, on 127.0.0.1 and a random port) over a temporary data directory with
 * the real corpus and the real embedding model, is driven with autocannon for
 * `QBANK_LOAD_SECONDS` (default 60) at 32 keep-alive connections: 16 on POST /v1/ask and 16 on
 * POST /v1/search, a quarter of the questions new to every cache so the model runs. It runs
 * 10 s against the cold server, asks every bank question once, then runs the measured period.
 * No 5xx, no connection error or timeout, 429 only from the rate limiter (set high here, so
 * none), and the server's resident memory grows within a bound over the measured period;
 * p50/p99 and throughput are reported for both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/util/package-root.js';
import { recordFigure } from './figures.js';

const root = packageRoot();
const SECONDS = (() => {
  const raw = process.env['QBANK_LOAD_SECONDS'] ?? '60';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 3600) throw new Error(`QBANK_LOAD_SECONDS="${raw}" must be a whole number of seconds from 1 to 3600 (default 60).`);
  return n;
})();
const CONNECTIONS = 32;
/** Resident-memory growth allowed over the run, beyond the warmed-up server's: bytes. */
const RSS_GROWTH_LIMIT = 96 * 1024 * 1024;

let child: ChildProcess;
let url: string;
let dataDir: string;
let log = '';

/** `npm start`'s command line (package.json), with this Node binary, on a random loopback port. */
function startCommand(): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [node, ...args] = pkg.scripts.start.split(/\s+/);
  expect(node).toBe('node');
  return [...args, '--port', '0', '--host', '127.0.0.1'];
}

/** The environment of the test run without qbank's own settings, plus `extra`. */
function serverEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(QBANK_|OPENAI_|QDRANT_|PORT$|HOST$)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'qbank-load-'));
  child = spawn(process.execPath, startCommand(), {
    cwd: root,
    env: serverEnv({ QBANK_DATA_DIR: dataDir, QBANK_RATE_LIMIT_PER_MIN: '1000000', QBANK_RATE_LIMIT_BURST: '100000' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (d: string) => (log += d));
  url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (d: string) => {
      log += d;
      const m = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`qbank serve exited with ${code} before it served:\n${log}`)));
  });
  for (let i = 0; i < 1200; i++) {
    if ((await fetch(`${url}/readyz`).then((r) => r.status, () => 0)) === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`qbank serve was not ready 120 s after it listened:\n${log}`);
}, 600_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

interface RouteStats {
  statuses: Map<number, number>;
  unexpected: string[];
}

function run(path: '/v1/ask' | '/v1/search', queries: string[], seconds: number, stats: RouteStats): Promise<autocannon.Result> {
  const field = path === '/v1/ask' ? 'question' : 'query';
  let i = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon({
      url,
      connections: CONNECTIONS / 2,
      duration: seconds,
      timeout: 30,
      requests: [
        {
          method: 'POST',
          path,
          headers: { 'content-type': 'application/json' },
          setupRequest: (req) => {
            const n = i++;
            const q = queries[n % queries.length] ?? 'explain GQA vs MQA';
            // Every fourth question is new to the response and embedding caches: the model runs.
            return { ...req, body: JSON.stringify({ [field]: n % 4 === 3 ? `${q} (variant ${n})` : q }) };
          },
          onResponse: (status, body) => {
            stats.statuses.set(status, (stats.statuses.get(status) ?? 0) + 1);
            if (status === 200) return;
            // A 429 is fine only from the rate limiter; anything else is a failure.
            const code = status === 429 ? (JSON.parse(body) as { code?: string }).code : undefined;
            if (code !== 'rate_limited' && stats.unexpected.length < 20) stats.unexpected.push(`${status} ${body.slice(0, 200)}`);
          },
        },
      ],
    }, (error: unknown, result: autocannon.Result) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(result)));
    instance.on('reqError', (error: Error) => {
      if (stats.unexpected.length < 20) stats.unexpected.push(`request error: ${error.message}`);
    });
  });
}

describe(`qbank serve under ${CONNECTIONS} connections for ${SECONDS} s`, () => {
  it('answers every request without a 5xx, an error or a timeout, with bounded memory', async () => {
    const pid = child.pid ?? 0;
    const page = (await (await fetch(`${url}/v1/questions?limit=200`)).json()) as { questions: { title: string }[] };
    const queries = page.questions.map((q) => q.title.replace(/^Q\d+\.\s*/, ''));
    expect(queries.length).toBeGreaterThan(50);

    // A cold server first, the moment it is ready: no question has been asked, so every response
    // cache is empty and every query is embedded; the sentences answers quote were embedded
    // before /readyz turned 200 (QBANK_WARM_ANSWERS), so asks do not queue on the model for them.
    const cold: RouteStats = { statuses: new Map(), unexpected: [] };
    const coldSeconds = Math.min(10, SECONDS);
    const [coldAsk, coldSearch] = await Promise.all([run('/v1/ask', queries, coldSeconds, cold), run('/v1/search', queries, coldSeconds, cold)]);
    recordFigure(
      `load: cold server (${CONNECTIONS} conns, ${coldSeconds} s)`,
      `/v1/ask ${coldAsk.requests.total} requests, p50 ${coldAsk.latency.p50} ms, p99 ${coldAsk.latency.p99} ms; /v1/search ${coldSearch.requests.total} requests, p50 ${coldSearch.latency.p50} ms, p99 ${coldSearch.latency.p99} ms; ` +
        `errors ${coldAsk.errors + coldSearch.errors}, timeouts ${coldAsk.timeouts + coldSearch.timeouts}, 5xx ${coldAsk['5xx'] + coldSearch['5xx']}`,
    );
    expect(cold.unexpected).toEqual([]);
    expect(coldAsk.errors + coldSearch.errors + coldAsk.timeouts + coldSearch.timeouts).toBe(0);

    // Then every bank question once through both routes (as a server that has been up a while has seen them).
    const warmStarted = performance.now();
    for (let i = 0; i < queries.length; i += 8) {
      await Promise.all(
        queries.slice(i, i + 8).flatMap((q) => [
          fetch(`${url}/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: q }) }).then((r) => r.text()),
          fetch(`${url}/v1/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: q }) }).then((r) => r.text()),
        ]),
      );
    }
    const warmSeconds = (performance.now() - warmStarted) / 1000;
    const rssStart = rssOf(pid);
    const load = loadavg()[0] ?? 0;

    let rssPeak = rssStart;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, rssOf(pid));
    }, 500);
    const ask: RouteStats = { statuses: new Map(), unexpected: [] };
    const search: RouteStats = { statuses: new Map(), unexpected: [] };
    let results: [autocannon.Result, autocannon.Result];
    try {
      results = await Promise.all([run('/v1/ask', queries, SECONDS, ask), run('/v1/search', queries, SECONDS, search)]);
    } finally {
      clearInterval(sampler);
    }
    const rssEnd = rssOf(pid);
    const [a, s] = results;

    const describeRoute = (name: string, r: autocannon.Result, st: RouteStats) => {
      const by = [...st.statuses].sort((x, y) => x[0] - y[0]).map(([code, n]) => `${code}×${n}`).join(' ');
      return `${name}: ${r.requests.total} requests, ${r.requests.average.toFixed(0)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms; ${by}; errors ${r.errors}, timeouts ${r.timeouts}`;
    };
    recordFigure(`load /v1/ask (${CONNECTIONS / 2} conns, ${SECONDS} s)`, describeRoute('/v1/ask', a, ask));
    recordFigure(`load /v1/search (${CONNECTIONS / 2} conns, ${SECONDS} s)`, describeRoute('/v1/search', s, search));
    recordFigure('load: server RSS', `${mb(rssStart)} after warm-up (every bank question once: ${warmSeconds.toFixed(0)} s) → peak ${mb(rssPeak)} → ${mb(rssEnd)} at the end (+${mb(Math.max(0, rssEnd - rssStart))}; limit +${mb(RSS_GROWTH_LIMIT)})`);
    recordFigure('load: machine', `${cpus().length} cores, load average ${load.toFixed(1)} before the run (shared with other work: latencies are not comparable across machines)`);

    for (const [name, r, st] of [['ask', a, ask], ['search', s, search]] as const) {
      expect(r.errors, `${name}: connection errors`).toBe(0);
      expect(r.timeouts, `${name}: timeouts`).toBe(0);
      expect(r['5xx'], `${name}: 5xx`).toBe(0);
      expect(st.unexpected, `${name}: responses other than 200 and the rate limiter's 429`).toEqual([]);
      expect(r.requests.total, `${name}: requests`).toBeGreaterThan(SECONDS);
    }
    expect(rssEnd - rssStart).toBeLessThan(RSS_GROWTH_LIMIT);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    // A 5xx would have been logged with its request id.
    expect(log).not.toMatch(/failed \(request /);
  }, (SECONDS * 2 + 300) * 1000);
});
