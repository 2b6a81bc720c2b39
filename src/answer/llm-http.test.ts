import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChatOpenAI } from '@langchain/openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildAskFixture, type AskFixture } from '../../test/support/llm-fixtures.js';
import { createAskService, createChatModel } from '../compose.js';
import { loadConfig, type Config } from '../config.js';
import type { AnswerEvent } from '../ports/answerer.js';
import type { SearchResult } from '../search/searcher.js';
import { isStatement } from './extractive.js';
import { LlmAnswerer } from './llm.js';
import { SYSTEM_PROMPT } from './prompt.js';
import { splitSentences } from './sentences.js';

/**
 * A real OpenAI-compatible server on 127.0.0.1: POST /v1/chat/completions, answering with a
 * JSON completion, or with SSE chunks (`data: {…}` … `data: [DONE]`) when the request streams.
 */
interface Recorded {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: { model?: string; messages?: { role: string; content: string }[]; stream?: boolean; temperature?: number; max_tokens?: number; stream_options?: unknown };
}
const server: { http?: Server; url: string; mode: 'ok' | 'error' | 'hang'; reply: string; requests: Recorded[]; lastChunkAt: number } = {
  url: '',
  mode: 'ok',
  reply: '',
  requests: [],
  lastChunkAt: 0,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startServer(): Promise<void> {
  const http = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const body = JSON.parse(raw || '{}') as Recorded['body'];
    server.requests.push({ method: req.method, url: req.url, headers: req.headers, body });
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }));
      return;
    }
    if (server.mode === 'hang') return; // never answers; the client must give up
    if (server.mode === 'error') {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'the model crashed', type: 'server_error' } }));
      return;
    }
    const base = { id: 'chatcmpl-test', created: Math.floor(Date.now() / 1000), model: body.model };
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          ...base,
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: server.reply }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (delta: object, finish: string | null) =>
      res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
    const words = server.reply.match(/\S+\s*/g) ?? [];
    send({ role: 'assistant', content: '' }, null);
    for (const word of words) {
      send({ content: word }, null);
      await sleep(5);
    }
    send({}, 'stop');
    server.lastChunkAt = performance.now();
    res.end('data: [DONE]\n\n');
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  server.http = http;
  server.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/v1`;
}

const QUESTION = 'Explain scaled dot-product attention and why the scaling factor matters.';
let fx: AskFixture;
let config: Config;
let faithful: string;
let quotes: string[];

beforeAll(async () => {
  await startServer();
  fx = await buildAskFixture();
  const env = { QBANK_LLM_MODEL: 'test-model', OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'sk-test-123', QBANK_LLM_TIMEOUT_MS: '1000' };
  config = loadConfig({}, env);
  const top = (await fx.passages(QUESTION))[0] as SearchResult;
  const sentences = splitSentences(fx.fileText(top.source.file), top.source.start, top.source.end)
    .filter(isStatement)
    .filter((s) => s.text.endsWith('.'))
    .slice(0, 2);
  faithful = sentences.map((s) => `${s.text} [1]`).join(' ');
  quotes = sentences.map((s) => s.quote);
});
afterAll(async () => {
  await fx.close();
  server.http?.closeAllConnections();
  server.http?.close();
});
beforeEach(() => {
  server.mode = 'ok';
  server.reply = faithful;
  server.requests = [];
});

async function collect(events: AsyncIterable<AnswerEvent>): Promise<{ events: AnswerEvent[]; at: number[] }> {
  const out: AnswerEvent[] = [];
  const at: number[] = [];
  for await (const e of events) {
    out.push(e);
    at.push(performance.now());
  }
  return { events: out, at };
}

describe('LLM answers through ChatOpenAI against a real OpenAI-compatible server', () => {
  it('reads the llm config from the environment', () => {
    expect(config.llm).toEqual({ kind: 'openai', model: 'test-model', baseURL: server.url, apiKey: 'sk-test-123', timeoutMs: 1000, temperature: 0, maxTokens: 700 });
    expect(loadConfig({}, {}).llm).toEqual({ kind: 'none' });
    expect(() => loadConfig({}, { QBANK_LLM_MODEL: 'm', OPENAI_BASE_URL: 'not a url' })).toThrow(/llm\.baseURL.*QBANK_LLM_MODEL/);
  });

  it('needs an API key for OpenAI itself, but not for a local server, and builds the model once', async () => {
    const openai = { kind: 'openai', model: 'gpt-4o-mini', timeoutMs: 1000, temperature: 0, maxTokens: 700 } as const;
    expect(() => createChatModel(openai)).toThrow(/set OPENAI_API_KEY, or OPENAI_BASE_URL/);
    const load = createChatModel({ ...openai, baseURL: 'http://127.0.0.1:11434/v1' });
    expect(await load()).toBeInstanceOf(ChatOpenAI);
    expect(await load()).toBe(await load());
  });

  it('builds the request: model, messages, key, settings', async () => {
    const ask = createAskService(config, fx.searcher, fx.embedder, fx.corpus);
    const answer = await ask.ask({ question: QUESTION, answerer: 'llm' });
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/v1/chat/completions');
    expect(request?.headers.authorization).toBe('Bearer sk-test-123');
    expect(request?.body).toMatchObject({ model: 'test-model', stream: true, temperature: 0, max_tokens: 700 });
    expect(request?.body.stream_options).toBeUndefined();
    const messages = request?.body.messages ?? [];
    expect(messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(messages[0]?.content).toBe(SYSTEM_PROMPT);
    expect(messages[1]?.content).toMatch(/^Sources \(5\):\n<source id="1" file="002_bedc587ae5620290\.txt" title="Q1\. Explain scaled dot-product attention/);
    expect(messages[1]?.content).toContain(`<question>\n${QUESTION}\n</question>`);

    expect(answer).toMatchObject({ answerer: 'llm', answer: faithful, droppedCitations: 0 });
    expect(answer.fallback).toBeUndefined();
    expect(answer.citations.map((c) => [c.quote, c.verified])).toEqual(quotes.map((q) => [q, true]));
  });

  it('answers without streaming when the model does not stream', async () => {
    const model = new ChatOpenAI({ model: 'test-model', apiKey: 'sk-test-123', configuration: { baseURL: server.url }, maxRetries: 0, disableStreaming: true });
    const llm = new LlmAnswerer({ model, embedder: fx.embedder, fileText: fx.fileText });
    const result = await llm.answer(QUESTION, await fx.passages(QUESTION));
    expect(server.requests.map((r) => r.body.stream ?? false)).toEqual([false]);
    expect(result.answer).toBe(faithful);
    expect(result.citations.every((c) => c.verified)).toBe(true);
  });

  it('streams tokens over HTTP as they arrive, before the server has finished', async () => {
    const ask = createAskService(config, fx.searcher, fx.embedder, fx.corpus);
    const { events, at } = await collect(ask.stream({ question: QUESTION, answerer: 'llm' }));
    const deltas = events.flatMap((e, i) => (e.type === 'delta' ? [{ text: e.text, at: at[i] as number }] : []));
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.map((d) => d.text).join('')).toBe(faithful);
    expect(deltas[0]?.at).toBeLessThan(server.lastChunkAt);
    const types = events.map((e) => e.type);
    expect(types.lastIndexOf('delta')).toBeLessThan(types.indexOf('citation'));
    const done = events.at(-1);
    expect(done?.type === 'done' && done.answer.answerer).toBe('llm');
  });

  it('retries a server error once, then falls back to the extractive answer', async () => {
    server.mode = 'error';
    // LangChain waits 1–2 s before its retry: more than the 1 s deadline of the other tests.
    if (config.llm.kind !== 'openai') throw new Error('the llm config is missing');
    const patient: Config = { ...config, llm: { ...config.llm, timeoutMs: 5000 } };
    const ask = createAskService(patient, fx.searcher, fx.embedder, fx.corpus);
    const started = performance.now();
    const answer = await ask.ask({ question: QUESTION, answerer: 'llm' });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(server.requests).toHaveLength(2);
    expect(answer.answerer).toBe('extractive');
    expect(answer.fallback?.reason).toBe('The language model failed: 500 the model crashed');
    expect(answer.citations.length).toBeGreaterThan(0);
  });

  it('falls back within the deadline when the server never answers', async () => {
    server.mode = 'hang';
    const ask = createAskService(config, fx.searcher, fx.embedder, fx.corpus);
    const started = performance.now();
    const { events } = await collect(ask.stream({ question: QUESTION, answerer: 'llm' }));
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(1000 + 1500);
    const done = events.at(-1);
    if (done?.type !== 'done') throw new Error('no done event');
    expect(done.answer.answerer).toBe('extractive');
    expect(done.answer.fallback?.reason).toMatch(/did not (answer|finish its answer) within 1000 ms/);
    expect(done.answer.citations.length).toBeGreaterThan(0);
  });
});
