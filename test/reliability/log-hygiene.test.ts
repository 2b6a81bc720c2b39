/**
 * No secrets and no prompts in the logs (issue 6). The API runs as `qbank serve` runs it — a
 * real HTTP server, an API key, the LLM configured from the environment against a fake
 * OpenAI-compatible server on loopback, the default log (stderr) at the default levels — and
 * takes authorized questions, streamed and not, LLM answers and grades, an LLM server that
 * fails (with an error that quotes the prompt back, as some servers do), a wrong key, and an
 * index that goes away. Everything the process writes meanwhile (stderr, stdout, console) is
 * captured: it must hold no API key, no LLM key, no question, no student answer, no prompt or
 * source text and no model output — and still the request ids, statuses and codes an operator
 * needs.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { format } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/app.js';
import { socketAddress, startServer, type RunningServer } from '../../src/api/server.js';
import { SYSTEM_PROMPT } from '../../src/answer/prompt.js';
import { createAskService, createStudyService } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import { JUDGE_SYSTEM_PROMPT } from '../../src/study/llm-judge.js';
import { ATTENTION_FILE } from '../support/llm-fixtures.js';
import { buildMemoryIndex, type MemoryIndex } from '../support/memory-index.js';
import { recordFigure } from './figures.js';

const API_KEY = 'qbank-api-key-CANARY-7f3a9c1e5b';
const WRONG_KEY = 'qbank-wrong-key-CANARY-d41c8e';
const OPENAI_KEY = 'sk-openai-CANARY-2b6e0d94a1f7';
const QUESTIONS = {
  json: 'Explain scaled dot-product attention and why the scaling factor matters.',
  sse: 'What is the KV cache and why is it critical for LLM inference?',
  failing: 'How do you choose LoRA rank r for a fine-tuning run?',
  extractive: 'What is a reranker and when should you use one in retrieval?',
  search: 'kv cache memory during autoregressive decoding',
  broken: 'grouped query attention versus multi query attention tradeoffs',
};
const STUDENT_ANSWER = 'The scaling keeps the softmax out of its flat regions so gradients do not vanish, CANARY-answer-58e1.';

/** Process-wide settings that raise the SDKs' log levels or send prompts elsewhere: unset, so the test sees the defaults. */
const LOUD_ENV = ['OPENAI_LOG', 'LANGCHAIN_VERBOSE', 'LANGCHAIN_TRACING', 'LANGCHAIN_TRACING_V2', 'LANGSMITH_TRACING', 'LANGSMITH_TRACING_V2', 'DEBUG', 'NODE_DEBUG'];

interface Recorded {
  headers: IncomingHttpHeaders;
  body: { messages?: { role: string; content: string }[]; stream?: boolean };
}

/** An OpenAI-compatible chat server on loopback that answers (quoting source 1), or fails with a 500 that quotes the prompt. */
async function fakeLlm() {
  const state = { mode: 'ok' as 'ok' | 'error', url: '', requests: [] as Recorded[], replies: [] as string[], http: undefined as Server | undefined };
  const http = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const body = JSON.parse(raw || '{}') as Recorded['body'];
    state.requests.push({ headers: req.headers, body });
    const user = body.messages?.find((m) => m.role === 'user')?.content ?? '';
    if (state.mode === 'error') {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `upstream rejected the request: ${user.slice(0, 400)}`, type: 'server_error' } }));
      return;
    }
    const judging = body.messages?.[0]?.content === JUDGE_SYSTEM_PROMPT;
    const source = /<source id="1"[^>]*>\n([\s\S]*?)\n<\/source>/.exec(user)?.[1] ?? '';
    const reply = judging ? '{"points":[{"n":1,"covered":false}]}' : `${source.replace(/\s+/g, ' ').slice(0, 160).trim()} [1]`;
    state.replies.push(reply);
    const base = { id: 'chatcmpl-log', created: 0, model: 'test-model' };
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }] }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const send = (delta: object, finish: string | null) => res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
    for (const word of reply.match(/\S+\s*/g) ?? []) send({ content: word }, null);
    send({}, 'stop');
    res.end('data: [DONE]\n\n');
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  state.http = http;
  state.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/v1`;
  return state;
}

/** Everything written to stdout, stderr and the console from now until `stop()`, passed through. */
function captureOutput() {
  const out: string[] = [];
  const restore: (() => void)[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write;
    stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      out.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof stream.write;
    restore.push(() => (stream.write = write));
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const original = console[method];
    console[method] = (...args: unknown[]) => {
      out.push(`${format(...args)}\n`);
      original.apply(console, args);
    };
    restore.push(() => (console[method] = original));
  }
  return { text: () => out.join(''), stop: () => restore.forEach((r) => r()) };
}

let llm: Awaited<ReturnType<typeof fakeLlm>>;
let index: MemoryIndex;
let server: RunningServer;
let capture: ReturnType<typeof captureOutput>;
const savedEnv = new Map<string, string | undefined>();
/** Request ids the server gave, by what the request was. */
const ids: Record<string, string> = {};

beforeAll(async () => {
  for (const name of LOUD_ENV) {
    savedEnv.set(name, process.env[name]);
    delete process.env[name];
  }
  llm = await fakeLlm();
  index = await buildMemoryIndex({ files: [ATTENTION_FILE] });
  // The environment of a public deployment with an LLM; LangChain retries a failed call once after 1–2 s.
  const config = loadConfig({}, { QBANK_API_KEY: API_KEY, QBANK_LLM_MODEL: 'test-model', OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: OPENAI_KEY, QBANK_LLM_TIMEOUT_MS: '8000' });
  expect(config.server.apiKey).toBe(API_KEY);
  const ask = createAskService(config, index.searcher, index.embedder, index.corpus);
  const study = createStudyService(config, index.store, index.searcher, index.embedder, index.corpus);
  capture = captureOutput();
  // No `log`: the default one, stderr, as `qbank serve` writes it.
  const app = createApi({ ask, study, searcher: index.searcher, store: index.store, corpus: index.corpus, ready: () => ({ ok: true, detail: 'test index' }), options: config.server, clientAddress: socketAddress });
  server = await startServer(app, { host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  capture?.stop();
  await server?.close();
  llm?.http?.closeAllConnections();
  llm?.http?.close();
  await index?.close();
  for (const [name, value] of savedEnv) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

async function call(what: string, path: string, init: { body?: unknown; headers?: Record<string, string>; method?: string } = {}): Promise<Response> {
  const res = await fetch(`${server.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY, ...init.headers },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  ids[what] = res.headers.get('x-request-id') ?? '';
  return res;
}

describe('the logs of a public deployment with an LLM', () => {
  it('answers with the LLM, the key sent to the model server and the question and sources in the prompt', async () => {
    llm.mode = 'ok';
    const res = await call('llm json', '/v1/ask', { body: { question: QUESTIONS.json, answerer: 'llm' }, headers: { 'x-api-key': '', authorization: `Bearer ${API_KEY}` } });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { answerer: string; answer: string };
    expect(answer.answerer).toBe('llm');
    const sse = await call('llm sse', '/v1/ask', { body: { question: QUESTIONS.sse, answerer: 'llm' }, headers: { accept: 'text/event-stream' } });
    const stream = await sse.text();
    expect(stream).toMatch(/event: done\ndata: \{[^\n]*"answerer":"llm"/);
    expect(llm.requests.length).toBe(2);
    for (const r of llm.requests) expect(r.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(llm.requests[0]?.body.messages?.[1]?.content).toContain(QUESTIONS.json);
    expect(llm.requests[0]?.body.messages?.[1]?.content).toContain('<source id="1"');
  }, 30_000);

  it('answers extractively, searches and grades with the key', async () => {
    expect((await call('extractive', '/v1/ask', { body: { question: QUESTIONS.extractive } })).status).toBe(200);
    expect((await call('search', '/v1/search', { body: { query: QUESTIONS.search }, headers: { 'x-api-key': '', authorization: `Bearer ${API_KEY}` } })).status).toBe(200);
    const quiz = (await (await call('quiz', '/v1/quiz?hasModelAnswer=true')).json()) as { question: { id: string } | null };
    expect(quiz.question).not.toBeNull();
    const grade = await call('grade', '/v1/grade', { body: { questionId: quiz.question?.id, answer: STUDENT_ANSWER, grader: 'llm' } });
    expect(grade.status).toBe(200);
    expect(((await grade.json()) as { grader: string }).grader).toBe('llm');
    expect(llm.requests.at(-1)?.body.messages?.[1]?.content).toContain('CANARY-answer-58e1');
    expect((await call('wrong key', '/v1/search', { body: { query: QUESTIONS.search }, headers: { 'x-api-key': WRONG_KEY } })).status).toBe(401);
  }, 30_000);

  it('logs an LLM failure by request id and code, not by the model server error that quotes the prompt', async () => {
    llm.mode = 'error';
    const res = await call('llm fails', '/v1/ask', { body: { question: QUESTIONS.failing, answerer: 'llm' } });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { answerer: string; fallback?: { code: string; reason: string } };
    expect(answer).toMatchObject({ answerer: 'extractive', fallback: { code: 'llm_failed' } });
    // The client is told what the server said (its own question and the public bank); the log is not.
    expect(answer.fallback?.reason).toContain('upstream rejected the request');
    const grade = await call('grade fails', '/v1/grade', { body: { questionId: (await (await call('quiz 2', '/v1/quiz?hasModelAnswer=true')).json() as { question: { id: string } }).question.id, answer: STUDENT_ANSWER, grader: 'llm' } });
    expect(((await grade.json()) as { fallback?: { code: string } }).fallback?.code).toBe('llm_failed');
    const log = capture.text();
    expect(log).toContain(`POST /v1/ask answered without the language model (request ${ids['llm fails']}): the language model failed (llm_failed)`);
    expect(log).toContain(`POST /v1/grade answered without the language model (request ${ids['grade fails']}): the language model failed (llm_failed)`);
    llm.mode = 'ok';
  }, 60_000);

  it('logs a failure inside the service with its status and request id', async () => {
    await index.store.close();
    const res = await call('broken', '/v1/search', { body: { query: QUESTIONS.broken } });
    expect(res.status).toBeGreaterThanOrEqual(500);
    const line = capture.text().split('\n').find((l) => l.includes(`(request ${ids['broken']})`));
    expect(line).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z POST /v1/search failed with ${res.status} \\(request ${ids['broken']}\\): `));
  });

  it('holds no key, question, answer, prompt, source or model output', () => {
    capture.stop();
    const log = capture.text();
    const prompts = llm.requests.flatMap((r) => r.body.messages ?? []).map((m) => m.content);
    const sourceTexts = prompts.flatMap((p) => [...p.matchAll(/<source [^>]*>\n([\s\S]*?)\n<\/source>/g)].map((m) => m[1] ?? ''));
    expect(sourceTexts.length).toBeGreaterThan(5);
    const secrets: [string, string][] = [
      ['the API key', API_KEY],
      ['a wrong API key', WRONG_KEY],
      ['the LLM key', OPENAI_KEY],
      ['a bearer token', 'Bearer '],
      ...Object.entries(QUESTIONS).map(([k, q]): [string, string] => [`the ${k} question`, q]),
      ['the student answer', STUDENT_ANSWER.slice(0, 40)],
      ['the answer system prompt', SYSTEM_PROMPT.split('\n')[0] ?? SYSTEM_PROMPT],
      ['the grading system prompt', JUDGE_SYSTEM_PROMPT.split('\n')[0] ?? JUDGE_SYSTEM_PROMPT],
      ['a source tag', '<source'],
      ['a question tag', '<question>'],
      ['the model server error', 'upstream rejected the request'],
      ...sourceTexts.map((t, i): [string, string] => [`source text ${i}`, t.replace(/\s+/g, ' ').trim().slice(0, 60)]),
      ...llm.replies.filter((r) => r.length > 20).map((r, i): [string, string] => [`model output ${i}`, r.slice(0, 60)]),
    ];
    const flat = log.replace(/\s+/g, ' ');
    const found = secrets.filter(([, s]) => s.trim() !== '' && (log.includes(s) || flat.includes(s.replace(/\s+/g, ' '))));
    expect(found.map(([what]) => what), log).toEqual([]);
    // What an operator needs is there: the request ids and statuses of what went wrong.
    for (const what of ['llm fails', 'grade fails', 'broken']) expect(log).toContain(`(request ${ids[what]})`);
    const lines = log.split('\n').filter((l) => /^\d{4}-\d\d-\d\dT/.test(l)).length;
    recordFigure('log hygiene', `${Object.keys(ids).length} requests (LLM ok and failing, SSE, grade, wrong key, broken index): ${lines} log lines, ${secrets.length} secrets and prompt fragments checked, none found`);
  });
});
