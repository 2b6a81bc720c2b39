import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AskService } from '../answer/ask.js';
import type { Answerer, AnswerEvent } from '../ports/answerer.js';
import { IndexUnavailableError, StoreRequestError } from '../errors.js';
import { buildMemoryIndex, type MemoryIndex } from '../../test/support/memory-index.js';
import { events, post, testApi } from '../../test/support/test-api.js';
import { ProblemSchema, StreamErrorSchema } from './schemas.js';

let index: MemoryIndex;
let app: ReturnType<typeof testApi>['app'];

beforeAll(async () => {
  index = await buildMemoryIndex({ files: ['002_bedc587ae5620290.txt'] });
  ({ app } = testApi(index));
});
afterAll(() => index.close());

/** Checks the response is a problem document of that status and returns it. */
async function problem(res: Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = ProblemSchema.parse(await res.json());
  expect(body.status).toBe(status);
  expect(body.type).toBe(`/docs#problem-${body.code}`);
  expect(JSON.stringify(body)).not.toMatch(/\bat .+\.(ts|js):\d+/);
  return body;
}

describe('400 bad input', () => {
  it.each([
    ['a missing question', {}, 'question'],
    ['an empty question', { question: '' }, 'question'],
    ['a blank question', { question: ' \n\t ' }, 'question'],
    ['an over-long question', { question: 'x'.repeat(2001) }, 'question'],
    ['a question of the wrong type', { question: 42 }, 'question'],
    ['k of the wrong type', { question: 'What is LoRA?', k: '5' }, 'k'],
    ['k out of range', { question: 'What is LoRA?', k: 0 }, 'k'],
    ['an unknown answerer', { question: 'What is LoRA?', answerer: 'gpt' }, 'answerer'],
    ['filters of the wrong type', { question: 'What is LoRA?', filters: { difficulty: 3 } }, 'filters.difficulty'],
    ['an unknown field', { question: 'What is LoRA?', questoin: 'typo' }, 'questoin'],
  ])('%s', async (_, body, field) => {
    const p = await problem(await app.request(...post('/v1/ask', body)), 400);
    expect(p.code).toBe('invalid_input');
    expect(p.errors?.[0]?.path).toBe(field);
  });

  it('accepts a question of exactly 2000 characters', async () => {
    const res = await app.request(...post('/v1/ask', { question: `what is lora ${'x'.repeat(1987)}` }));
    expect(res.status).toBe(200);
  });

  it.each([
    ['malformed JSON', '{"question": "What is LoRA?"'],
    ['an empty body', ''],
    ['a JSON string instead of an object', '"What is LoRA?"'],
  ])('%s', async (_, body) => {
    const p = await problem(await app.request(...post('/v1/ask', body)), 400);
    expect(p.code).toBe('invalid_input');
  });

  it('checks the search body the same way', async () => {
    await problem(await app.request(...post('/v1/search', { query: '' })), 400);
    await problem(await app.request(...post('/v1/search', { query: 'lora', mode: 'magic' })), 400);
  });
});

describe('other statuses', () => {
  it('415 for a body that is not JSON', async () => {
    const res = await app.request('/v1/ask', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'What is LoRA?' });
    expect((await problem(res, 415)).code).toBe('unsupported_media_type');
  });

  it('413 for a body over 64 KB, with or without a Content-Length', async () => {
    const big = JSON.stringify({ question: 'x'.repeat(70 * 1024) });
    const withLength = await app.request('/v1/ask', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(big.length) }, body: big });
    expect((await problem(withLength, 413)).code).toBe('payload_too_large');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const chunked = await app.request('/v1/ask', { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
    await problem(chunked, 413);
  });

  it('404 for an unknown path', async () => {
    expect((await problem(await app.request('/v2/ask'), 404)).code).toBe('not_found');
    await problem(await app.request('/assets/nope.js'), 404);
  });

  it('405 with Allow for a wrong method on a known path', async () => {
    const res = await app.request('/v1/ask');
    expect((await problem(res, 405)).code).toBe('method_not_allowed');
    expect(res.headers.get('allow')).toBe('POST');
    const del = await app.request('/v1/chunks/abc', { method: 'DELETE' });
    await problem(del, 405);
    expect(del.headers.get('allow')).toBe('GET, HEAD');
    await problem(await app.request('/healthz', { method: 'POST' }), 405);
  });

  it('refuses path traversal in chunk ids', async () => {
    for (const id of ['..%2F..%2Fetc%2Fpasswd', '..%2F002_bedc587ae5620290.txt', '%2Fetc%2Fpasswd', 'abc%00def', '..', 'a.b']) {
      const res = await app.request(`/v1/chunks/${id}`);
      expect([400, 404], id).toContain(res.status);
      const body = await res.text();
      expect(body).not.toContain('root:');
    }
    const p = await problem(await app.request('/v1/chunks/..%2F..%2Fetc%2Fpasswd'), 400);
    expect(p.field).toBe('id');
    // A traversal that the URL parser resolves lands on a path that does not exist.
    await problem(await app.request('/v1/chunks/../../etc/passwd'), 404);
  });
});

describe('failures inside the service', () => {
  const failing = (answerer: Answerer) => new AskService({ searcher: index.searcher, extractive: answerer });

  it('500 without internals for an unexpected error, logged with the request id', async () => {
    const boom = failing({ kind: 'extractive', answer: () => Promise.reject(new Error('EACCES /srv/secret/index.sqlite')) });
    const { app: broken, errors } = testApi(index, {}, { ask: boom });
    const res = await broken.request(...post('/v1/ask', { question: 'explain GQA vs MQA' }, { 'x-request-id': 'req-123' }));
    const p = await problem(res, 500);
    expect(p).toMatchObject({ code: 'internal_error', requestId: 'req-123' });
    expect(JSON.stringify(p)).not.toContain('/srv/secret');
    expect(errors).toHaveLength(1);
  });

  it('503 when the index is unavailable', async () => {
    const searcher = { search: () => Promise.reject(new IndexUnavailableError('/srv/index.sqlite', 'it is locked')) };
    const { app: broken } = testApi(index, {}, { searcher });
    const res = await broken.request(...post('/v1/search', { query: 'lora' }));
    expect((await problem(res, 503)).detail).not.toContain('/srv');
  });

  it('503 with Retry-After when the index store is down or overloaded, 500 when it refuses a request', async () => {
    for (const [status, expected] of [[undefined, 503], [502, 503], [429, 503], [400, 500]] as const) {
      const searcher = { search: () => Promise.reject(new StoreRequestError('store_request_failed', 'Qdrant at http://10.0.0.7:6333 did not answer a keyword search.', status)) };
      const { app: broken, errors } = testApi(index, {}, { searcher });
      const res = await broken.request(...post('/v1/search', { query: 'lora' }));
      const p = await problem(res, expected);
      expect(JSON.stringify(p)).not.toContain('10.0.0.7');
      if (expected === 503) expect([p.code, res.headers.get('retry-after')]).toEqual(['unavailable', '5']);
      expect(errors).toHaveLength(1);
    }
  });

  it('ends a failed stream with an error frame, never silently', async () => {
    const midway: Answerer = {
      kind: 'extractive',
      answer: () => Promise.reject(new Error('unused')),
      async *stream(): AsyncIterable<AnswerEvent> {
        yield { type: 'delta', text: 'GQA shares key and value heads ' };
        throw new Error('EIO reading /srv/secret/corpus');
      },
    };
    const { app: broken, errors } = testApi(index, {}, { ask: failing(midway) });
    const res = await broken.request(...post('/v1/ask', { question: 'explain GQA vs MQA' }, { accept: 'text/event-stream' }));
    expect(res.status).toBe(200);
    const list = await events(res);
    expect(list.map((e) => e.event)).toEqual(['delta', 'error']);
    const error = StreamErrorSchema.parse(JSON.parse(list[1]?.data ?? '{}'));
    expect(error).toMatchObject({ code: 'internal_error', status: 500 });
    expect(error.message).not.toContain('/srv');
    expect(errors).toHaveLength(1);
  });

  it('ends with an error frame when the service stream stops without an answer', async () => {
    const cut = { llmAvailable: false, ask: () => Promise.reject(new Error('unused')), stream: async function* (): AsyncGenerator<AnswerEvent> { yield { type: 'delta', text: 'half' }; } };
    const { app: broken } = testApi(index, {}, { ask: cut });
    const list = await events(await broken.request(...post('/v1/ask', { question: 'explain GQA vs MQA' }, { accept: 'text/event-stream' })));
    expect(list.map((e) => e.event)).toEqual(['delta', 'error']);
    expect(JSON.parse(list[1]?.data ?? '{}')).toMatchObject({ code: 'answer_incomplete' });
  });

  it('passes an error event of the answerer on as the last frame', async () => {
    const erring = { llmAvailable: false, ask: () => Promise.reject(new Error('unused')), stream: async function* (): AsyncGenerator<AnswerEvent> { yield { type: 'error', code: 'llm_failed', message: 'The model server refused.' }; yield { type: 'delta', text: 'never sent' }; } };
    const { app: broken } = testApi(index, {}, { ask: erring });
    const list = await events(await broken.request(...post('/v1/ask', { question: 'explain GQA vs MQA' }, { accept: 'text/event-stream' })));
    expect(list.map((e) => [e.event, JSON.parse(e.data)])).toEqual([['error', { code: 'llm_failed', message: 'The model server refused.', status: 500 }]]);
  });
});
