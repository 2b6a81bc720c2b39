/**
 * Load benchmark of the HTTP API (issue 3). Prints figures; asserts nothing.
 *
 *   npm run bench:api -- [--duration 20] [--connections 16] [--unique]
 *
 * Starts `qbank serve` as a child process on a random loopback port, as `npm start` does (same
 * heap cap, index refreshed; rate limit off), waits until /readyz is 200, then drives it with
 * autocannon: /v1/search, then /v1/ask (extractive), each for `duration` seconds (at most 60)
 * over `connections` keep-alive connections. Queries rotate over the bank's question titles,
 * so after the first pass their embeddings come from the query cache; `--unique` makes every
 * query new to it (the model runs on every request). Prints p50/p99 latency, requests per
 * second, errors and the server's resident memory before and after. Traffic stays on 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { packageRoot } from '../src/util/package-root.js';

const { values } = parseArgs({ options: { duration: { type: 'string' }, connections: { type: 'string' }, unique: { type: 'boolean' } } });
const duration = Math.min(60, Math.max(1, Number(values.duration ?? 20)));
const connections = Math.min(64, Math.max(1, Number(values.connections ?? 16)));
/** The V8 old-space cap of `npm start` (package.json), MB. */
const HEAP_MB = 256;
const TARGETS = { search: { p50: 15, p99: 50, rps: 200 }, ask: { p50: 60, p99: 150, rps: 0 } };

function rssOf(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return m ? Number(m[1]) * 1024 : 0;
}

async function startServer(): Promise<{ child: ChildProcess; url: string }> {
  // The same V8 heap cap as `npm start`: without it V8 lets garbage grow the heap for minutes on a big machine.
  const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, join(packageRoot(), 'bin', 'qbank.js'), 'serve', '--port', '0', '--host', '127.0.0.1'], {
    env: { ...process.env, QBANK_RATE_LIMIT_PER_MIN: '0' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`qbank serve did not start in 300 s:\n${log}`)), 300_000);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      log += d;
      const m = log.match(/serving on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`qbank serve exited with ${code}:\n${log}`)));
  });
  for (let i = 0; i < 600; i++) {
    const r = await fetch(`${url}/readyz`).catch(() => undefined);
    if (r?.status === 200) return { child, url };
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('qbank serve did not become ready in 60 s');
}

async function run(url: string, path: string, queries: string[], field: 'query' | 'question', seconds: number): Promise<autocannon.Result> {
  let i = 0;
  return autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => {
          const q = queries[i++ % queries.length] ?? 'explain GQA vs MQA';
          return { ...req, body: JSON.stringify({ [field]: values.unique ? `${q} (${i})` : q }) };
        },
      },
    ],
  });
}

function report(name: keyof typeof TARGETS, r: autocannon.Result, rssBefore: number, rssAfter: number): string {
  const t = TARGETS[name];
  const errors = r.errors + r.timeouts + r.non2xx;
  const ok = (x: boolean) => (x ? 'ok' : 'MISSED');
  return [
    `/v1/${name}: ${r.requests.total} requests in ${r.duration.toFixed(1)} s over ${connections} connections`,
    `  latency p50 ${r.latency.p50} ms (target ≤ ${t.p50}: ${ok(r.latency.p50 <= t.p50)}), p99 ${r.latency.p99} ms (target ≤ ${t.p99}: ${ok(r.latency.p99 <= t.p99)}), max ${r.latency.max} ms`,
    `  throughput ${r.requests.average.toFixed(0)} req/s${t.rps ? ` (target ≥ ${t.rps}: ${ok(r.requests.average >= t.rps)})` : ''}`,
    `  errors ${errors} (connection ${r.errors}, timeouts ${r.timeouts}, non-2xx ${r.non2xx}): ${ok(errors === 0)}`,
    `  server RSS ${mb(rssBefore)} → ${mb(rssAfter)} (${pct(rssBefore, rssAfter)})`,
  ].join('\n');
}

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
const pct = (a: number, b: number) => `${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(1)}%`;

const { child, url } = await startServer();
try {
  const pid = child.pid ?? 0;
  const page = (await (await fetch(`${url}/v1/questions?limit=200`)).json()) as { questions: { title: string }[] };
  const queries = page.questions.map((q) => q.title.replace(/^Q\d+\.\s*/, ''));
  console.log(`qbank serve at ${url} (pid ${pid}); ${queries.length} distinct queries${values.unique ? ', each made unique' : ''}; ${duration} s per route, ${connections} connections`);

  // Warm-up: every query once through both routes (query cache, SQLite pages, JIT), then a short load.
  if (!values.unique) {
    for (const q of queries) {
      await (await fetch(`${url}/v1/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: q }) })).text();
      await (await fetch(`${url}/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: q }) })).text();
    }
  }
  await run(url, '/v1/search', queries, 'query', 3);
  await run(url, '/v1/ask', queries, 'question', 3);
  const rss0 = rssOf(pid);
  console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (${cpus().length} cores; figures are only comparable on an idle machine)`);

  const search = await run(url, '/v1/search', queries, 'query', duration);
  const rss1 = rssOf(pid);
  console.log(report('search', search, rss0, rss1));

  const ask = await run(url, '/v1/ask', queries, 'question', duration);
  const rss2 = rssOf(pid);
  console.log(report('ask', ask, rss1, rss2));
  console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`server RSS over both runs (${2 * duration} s): ${mb(rss0)} → ${mb(rss2)} (${pct(rss0, rss2)}; target ≤ +10% over 60 s)`);
} finally {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}
