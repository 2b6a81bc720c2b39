import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMemoryIndex, type MemoryIndex } from '../../test/support/memory-index.js';
import { events, post, testApi } from '../../test/support/test-api.js';
import { searchJson } from '../search/search-json.js';
import { AnswerSchema, ChunkContextSchema, CitationSchema, DocumentsSchema, QuestionsPageSchema, ReadySchema, SearchResponseSchema, StreamDeltaSchema } from './schemas.js';

let index: MemoryIndex;
let app: ReturnType<typeof testApi>['app'];
let errors: unknown[];

beforeAll(async () => {
  index = await buildMemoryIndex();
  ({ app, errors } = testApi(index));
});
afterAll(async () => {
  expect(errors).toEqual([]);
  await index.close();
});

describe('POST /v1/ask', () => {
  it('answers with citations whose quotes are exact spans of the bank', async () => {
    const res = await app.request(...post('/v1/ask', { question: 'explain GQA vs MQA' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const answer = AnswerSchema.parse(await res.json());
    expect(answer.abstained).toBe(false);
    expect(answer.answerer).toBe('extractive');
    expect(answer.citations.length).toBeGreaterThan(0);
    for (const c of answer.citations) {
      expect(answer.answer).toContain(`[${c.n}]`);
      expect(index.corpus.text(c.source.file).slice(c.source.start, c.source.end)).toBe(c.quote);
      expect(c.verified).toBe(true);
    }
    expect(answer.answer).toMatch(/GQA/);
  });

  it('abstains on a question the bank does not cover, naming related questions', async () => {
    const answer = AnswerSchema.parse(await (await app.request(...post('/v1/ask', { question: 'how do I bake a chocolate cake' }))).json());
    expect(answer.abstained).toBe(true);
    expect(answer.citations).toEqual([]);
  });

  it('applies filters', async () => {
    const file = '003_2c438f64575affed.txt';
    const answer = AnswerSchema.parse(await (await app.request(...post('/v1/ask', { question: 'What is LoRA?', k: 3, filters: { file, difficulty: ['Medium', 'Hard'] } }))).json());
    expect(answer.citations.length).toBeGreaterThan(0);
    expect(answer.citations.every((c) => c.source.file === file)).toBe(true);
  });

  it('streams delta, citation and done events with Accept: text/event-stream', async () => {
    const res = await app.request(...post('/v1/ask', { question: 'explain GQA vs MQA' }, { accept: 'text/event-stream' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const raw = await res.clone().text();
    // Framing: every event is "event: <name>\ndata: <json>\nid: <n>\n\n".
    expect(raw).toMatch(/^event: delta\ndata: \{.*\}\nid: 1\n\n/);
    expect(raw.endsWith('\n\n')).toBe(true);
    const list = await events(res);
    const names = list.map((e) => e.event);
    expect(names[0]).toBe('delta');
    expect(names.at(-1)).toBe('done');
    expect(names).toContain('citation');
    expect(names.indexOf('citation')).toBeGreaterThan(names.lastIndexOf('delta'));
    expect(list.map((e) => e.id)).toEqual(list.map((_, i) => String(i + 1)));
    const text = list.filter((e) => e.event === 'delta').map((e) => StreamDeltaSchema.parse(JSON.parse(e.data)).text).join('');
    const done = AnswerSchema.parse(JSON.parse(list.at(-1)?.data ?? '{}'));
    expect(text).toBe(done.answer);
    const cited = list.filter((e) => e.event === 'citation').map((e) => CitationSchema.parse(JSON.parse(e.data)));
    expect(cited).toEqual(done.citations);
  });

  it('streams an abstention as a delta and done', async () => {
    const list = await events(await app.request(...post('/v1/ask', { question: 'how do I bake a chocolate cake' }, { accept: 'text/event-stream' })));
    expect(list.map((e) => e.event)).toEqual(['delta', 'done']);
    expect(AnswerSchema.parse(JSON.parse(list[1]?.data ?? '{}')).abstained).toBe(true);
  });

  it('refuses the LLM answerer when none is configured, before streaming', async () => {
    const res = await app.request(...post('/v1/ask', { question: 'What is LoRA?', answerer: 'llm' }, { accept: 'text/event-stream' }));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ code: 'invalid_input', field: 'answerer' });
  });
});

describe('POST /v1/search', () => {
  it('returns the same JSON as qbank search --json', async () => {
    const res = await app.request(...post('/v1/search', { query: 'explain GQA vs MQA', k: 3 }));
    expect(res.status).toBe(200);
    const body = SearchResponseSchema.parse(await res.json());
    expect(body.results).toHaveLength(3);
    expect(body.results[0]?.source.title).toMatch(/GQA|Grouped-Query/);
    const direct = searchJson(await index.searcher.search({ query: 'explain GQA vs MQA', k: 3 }));
    expect(body.results.map((r) => r.id)).toEqual(direct.results.map((r) => r.id));
    expect(Object.keys(body)).toEqual(Object.keys(direct));
  });

  it('takes a mode and filters', async () => {
    const body = SearchResponseSchema.parse(await (await app.request(...post('/v1/search', { query: 'quantization', mode: 'bm25', filters: { difficulty: 'Medium', lang: 'en' } }))).json());
    expect(body.results.length).toBeGreaterThan(0);
    expect(body.results.every((r) => r.meta.difficulty === 'Medium' && r.scores.dense === undefined)).toBe(true);
  });
});

describe('GET /v1/chunks/:id', () => {
  it('shows the passage within its original file, with offsets', async () => {
    const chunk = index.chunks.find((c) => c.title?.includes('Grouped-Query') && c.start > 1000);
    if (!chunk) throw new Error('fixture: no GQA chunk');
    const res = await app.request(`/v1/chunks/${chunk.id}`);
    expect(res.status).toBe(200);
    const body = ChunkContextSchema.parse(await res.json());
    const text = index.corpus.text(chunk.file);
    expect(body.chunk).toMatchObject({ id: chunk.id, file: chunk.file, start: chunk.start, end: chunk.end, title: chunk.title });
    expect(body.context.passage).toBe(text.slice(chunk.start, chunk.end));
    expect(body.context.before + body.context.passage + body.context.after).toBe(text.slice(body.context.start, body.context.end));
    expect(chunk.start - body.context.start).toBeGreaterThan(550);
    expect(chunk.start - body.context.start).toBeLessThanOrEqual(600);
  });

  it('takes the amount of context', async () => {
    const chunk = index.chunks[5];
    const body = ChunkContextSchema.parse(await (await app.request(`/v1/chunks/${chunk?.id}?context=0`)).json());
    expect(body.context.before).toBe('');
    expect(body.context.after).toBe('');
  });

  it('is 404 for an unknown id', async () => {
    const res = await app.request('/v1/chunks/0123456789abcdef');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ status: 404, code: 'not_found' });
  });
});

describe('GET /v1/documents', () => {
  it('lists every file with its chunk count, title and question count', async () => {
    const body = DocumentsSchema.parse(await (await app.request('/v1/documents')).json());
    expect(body.documents.map((d) => d.file)).toEqual([...new Set(index.chunks.map((c) => c.file))].sort());
    for (const d of body.documents) expect(d.chunkCount).toBe(index.chunks.filter((c) => c.file === d.file).length);
    expect(body.documents.find((d) => d.file === '002_bedc587ae5620290.txt')).toMatchObject({ title: '50 LLM and AI Engineer Interview Questions for 2026', lang: 'en' });
    expect(body.documents.find((d) => d.file === '000_34e99dc8019cbd23.txt')?.lang).toBe('de');
  });
});

describe('GET /v1/questions', () => {
  it('lists each question once, with its category, difficulty and roles', async () => {
    const body = QuestionsPageSchema.parse(await (await app.request('/v1/questions?limit=200')).json());
    const qa = new Set(index.chunks.filter((c) => c.kind === 'qa').map((c) => c.title));
    expect(body.total).toBeGreaterThan(50);
    expect(body.questions).toHaveLength(Math.min(200, body.total));
    expect(new Set(body.questions.map((q) => q.id)).size).toBe(body.questions.length);
    expect(body.questions.every((q) => qa.has(q.title))).toBe(true);
    const hard = body.questions.find((q) => q.difficulty === 'Hard');
    expect(hard?.roles?.length).toBeGreaterThan(0);
    expect(body.facets.difficulties.map((f) => f.value)).toEqual(['Easy', 'Medium', 'Hard']);
  });

  it('filters by category, difficulty, language and words, and pages', async () => {
    const all = QuestionsPageSchema.parse(await (await app.request('/v1/questions?category=rag&difficulty=medium&lang=en&limit=200')).json());
    expect(all.total).toBeGreaterThan(2);
    expect(all.questions.every((q) => /rag/i.test(q.category) && q.difficulty === 'Medium')).toBe(true);
    const page = QuestionsPageSchema.parse(await (await app.request('/v1/questions?category=rag&difficulty=medium&lang=en&limit=2&offset=1')).json());
    expect(page).toMatchObject({ total: all.total, limit: 2, offset: 1 });
    expect(page.questions.map((q) => q.id)).toEqual(all.questions.slice(1, 3).map((q) => q.id));
    const words = QuestionsPageSchema.parse(await (await app.request('/v1/questions?q=lora%20prefix')).json());
    expect(words.questions.map((q) => q.title)).toEqual(['Q25. Compare LoRA, prefix tuning, and prompt tuning. When would you choose each?']);
  });

  it('refuses a bad limit', async () => {
    const res = await app.request('/v1/questions?limit=0');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'invalid_input', field: 'limit' });
  });
});

describe('health, readiness and documentation', () => {
  it('GET /healthz', async () => {
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz is 200 when ready and 503 when not', async () => {
    expect(ReadySchema.parse(await (await app.request('/readyz')).json())).toEqual({ ready: true, detail: 'test index', answerers: ['extractive'] });
    const { app: notReady } = testApi(index, {}, { ready: () => ({ ok: false, detail: 'loading the embedding model' }) });
    const res = await notReady.request('/readyz');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ ready: false, detail: 'loading the embedding model' });
  });

  it('GET /openapi.json describes every route', async () => {
    const res = await app.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(['/', '/docs', '/healthz', '/openapi.json', '/readyz', '/v1/ask', '/v1/chunks/{id}', '/v1/documents', '/v1/questions', '/v1/search', '/widget.js'].sort());
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['AskRequest', 'Answer', 'Citation', 'SearchResponse', 'ChunkContext', 'QuestionsPage', 'Problem']));
    // Every $ref resolves.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1] ?? '');
    for (const r of refs) expect(doc.components.schemas).toHaveProperty(r);
    expect(doc.components.schemas['AskRequest']).toMatchObject({ required: ['question'], properties: { question: { type: 'string', minLength: 1, maxLength: 2000 } } });
  });

  it('GET /docs is a self-contained page', async () => {
    const res = await app.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('POST</span> <code>/v1/ask</code>');
    expect(html).toContain('id="problem-rate_limited"');
    expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[a-z]/i);
    expect(html).not.toMatch(/<script|style=/i);
  });
});

describe('study page and widget', () => {
  it('serves the page, its assets and the widget with validators', async () => {
    for (const [path, type] of [
      ['/', /^text\/html/],
      ['/assets/app.js', /^text\/javascript/],
      ['/assets/sse.js', /^text\/javascript/],
      ['/assets/app.css', /^text\/css/],
      ['/widget.js', /^text\/javascript/],
    ] as const) {
      const res = await app.request(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(type);
      const etag = res.headers.get('etag');
      expect(etag).toBeTruthy();
      const again = await app.request(path, { headers: { 'if-none-match': etag ?? '' } });
      expect(again.status, path).toBe(304);
    }
  });

  it('lets other sites load the widget script, and only it', async () => {
    const widget = await app.request('/widget.js');
    expect(widget.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const page = await app.request('/');
    expect(page.headers.get('cross-origin-resource-policy')).toBe('same-origin');
  });

  it('answers HEAD like GET without a body', async () => {
    const res = await app.request('/healthz', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });
});

describe('response cache', () => {
  it('answers a repeated search or extractive question from the cache until the index changes', async () => {
    const small = await buildMemoryIndex({ files: ['002_bedc587ae5620290.txt'] });
    let now = 0;
    const { app: cached } = testApi(small, {}, { now: () => now });
    const search = () => cached.request(...post('/v1/search', { query: 'explain GQA vs MQA' }));
    const first = await search();
    const second = await search();
    expect([first.headers.get('x-cache'), second.headers.get('x-cache')]).toEqual(['miss', 'hit']);
    expect(await second.text()).toBe(await first.text());

    const ask = (headers: Record<string, string> = {}) => cached.request(...post('/v1/ask', { question: 'explain GQA vs MQA' }, headers));
    const a1 = await ask();
    const a2 = await ask();
    expect([a1.headers.get('x-cache'), a2.headers.get('x-cache')]).toEqual(['miss', 'hit']);
    const answer = AnswerSchema.parse(await a1.json());
    expect(await a2.json()).toEqual(answer);
    // A cached answer streams as the same events a fresh one ends with.
    const streamed = await ask({ accept: 'text/event-stream' });
    expect(streamed.headers.get('x-cache')).toBe('hit');
    const list = await events(streamed);
    expect(list.map((e) => e.event)).toEqual(['delta', ...answer.citations.map(() => 'citation'), 'done']);
    expect(AnswerSchema.parse(JSON.parse(list.at(-1)?.data ?? '{}'))).toEqual(answer);

    // The index changes: the next request (a second later) is computed afresh.
    await small.store.apply({ upsert: [], remove: ['002_bedc587ae5620290.txt'] });
    now += 1500;
    const after = await search();
    expect(after.headers.get('x-cache')).toBe('miss');
    expect(SearchResponseSchema.parse(await after.json()).results).toEqual([]);
    await small.close();
  });
});
