import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { requestId, type RequestIdVariables } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { streamSSE } from 'hono/streaming';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AskService } from '../answer/ask.js';
import type { Answer, AnswerEvent, AnswerRequest } from '../ports/answerer.js';
import type { Store } from '../ports/store.js';
import type { CorpusFiles } from '../corpus/file-text.js';
import type { Searcher, SearchRequest } from '../search/searcher.js';
import type { StudyService } from '../study/study-service.js';
import { InvalidInputError } from '../errors.js';
import { searchJson } from '../search/search-json.js';
import { apiKeyMatcher, presentedKey, sha256 } from './api-key.js';
import { BankCatalogue } from './catalogue.js';
import { chunkContext } from './chunk-context.js';
import { renderDocsPage } from './docs-page.js';
import { logSafe, streamLog, type ServerLog } from './server-log.js';
import { openApiDocument } from './openapi.js';
import type { ApiOptions } from './options.js';
import type { Readiness } from './readiness.js';
import {
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  PROBLEM_HEADERS,
  problemOf,
  RateLimitedError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from './problem.js';
import { AskRequestSchema, ChunkIdSchema, ChunkQuerySchema, QuestionsQuerySchema, SearchRequestSchema, toSearchFilter } from './schemas.js';
import { ResponseCache } from './response-cache.js';
import { studyRoutes } from './study-routes.js';
import { loadWebAssets, type Asset } from './static-assets.js';
import { TokenBuckets } from './token-buckets.js';

/**
 * What the API is built from. Everything is passed in: the app reads no config and opens
 * nothing, so tests build it over an in-memory index and call `app.request(...)`.
 *
 * @example
 * const app = createApi({ ask, searcher, store, corpus, ready: () => ({ ok: true, detail: 'ready' }), options: config.server });
 * const res = await app.request('/v1/search', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"LoRA"}' });
 */
export interface ApiDeps {
  ask: Pick<AskService, 'ask' | 'stream' | 'llmAvailable'>;
  searcher: Pick<Searcher, 'search'>;
  store: Store;
  corpus: CorpusFiles;
  /** Whether the model is loaded and the index answers (GET /readyz); see `storeReadiness`. */
  ready: () => Readiness | Promise<Readiness>;
  options: ApiOptions;
  /** The client's address, for rate limiting; the Node server passes the socket's. Default: one shared client. */
  clientAddress?: (c: Context) => string | undefined;
  /**
   * Where failures the client cannot fix, and answers the language model failed to give, are
   * recorded with the request id (never a question, prompt, answer or header). Default: stderr.
   */
  log?: ServerLog;
  /** The study page and widget files; default: read from `src/web/`. */
  assets?: Map<string, Asset>;
  /** Clock of the rate limiter and the index-change check, ms. */
  now?: () => number;
  /** Study mode (GET /v1/quiz, POST /v1/grade); without it those routes are not served. */
  study?: Pick<StudyService, 'quiz' | 'grade' | 'llmAvailable'>;
}

type Env = { Variables: RequestIdVariables };

/** Content security policy of every response: only this origin's scripts, styles and API. */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  connectSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  requireTrustedTypesFor: ["'script'"],
};

/** The qbank HTTP API, study page, widget and docs, as a Hono app. */
export function createApi(deps: ApiDeps): Hono<Env> {
  const { options } = deps;
  const app = new Hono<Env>();
  const log = deps.log ?? streamLog(process.stderr);
  const assets = deps.assets ?? loadWebAssets();
  const catalogue = new BankCatalogue(deps.store, (f) => deps.corpus.text(f));
  const clock = deps.now ?? (() => performance.now());
  const buckets = new TokenBuckets(options.rateLimit, clock);
  const keyMatches = options.apiKey ? apiKeyMatcher(options.apiKey) : undefined;
  const openapi = openApiDocument({ apiKey: options.apiKey !== undefined, study: deps.study !== undefined });
  const openapiJson = JSON.stringify(openapi);
  const docsHtml = renderDocsPage(openapi);
  const allowed = new Map<string, Set<string>>();
  const cache = new ResponseCache<{ json: string; answer?: Answer }>(options.responseCacheEntries);
  const index = { version: '', checkedAt: -Infinity };

  /** Empties the response cache and the corpus text cache when the index changed (checked at most once a second). */
  async function checkIndexVersion(): Promise<void> {
    const now = clock();
    if (now - index.checkedAt < 1000) return;
    index.checkedAt = now;
    const version = (await deps.store.listFiles()).map((f) => `${f.file}:${f.hash}`).join('|');
    if (version === index.version) return;
    index.version = version;
    cache.clear();
    deps.corpus.clear();
  }

  const fail = (error: unknown, c: Context<Env>): Response => {
    const p = problemOf(error, c.get('requestId'));
    if (p.log) log(`${c.req.method} ${logSafe(c.req.path)} failed with ${p.problem.status} (request ${c.get('requestId') ?? '-'})`, error);
    // Through the context, so headers set earlier (request id, CORS) stay on the response.
    return c.body(JSON.stringify(p.problem), p.problem.status as ContentfulStatusCode, { ...PROBLEM_HEADERS, ...p.headers });
  };
  /**
   * An answer or grade the language model failed to give (the client got the offline one,
   * flagged): logged with its code only. The model server's error text is not logged, since
   * some servers quote the request (and so the prompt) in their errors.
   */
  const noteFallback = (c: Context, fallback: { code?: string } | undefined): void => {
    if (!fallback) return;
    const id = (c as Context<Env>).get('requestId') ?? '-';
    log(`${c.req.method} ${logSafe(c.req.path)} answered without the language model (request ${id})`, `the language model failed (${fallback.code ?? 'llm_failed'})`);
  };
  app.onError((error, c) => fail(error, c));
  app.notFound((c) => fail(new NotFoundError(`${c.req.path}`), c));

  const pageHeaders = secureHeaders({ contentSecurityPolicy: CONTENT_SECURITY_POLICY, overwrite: false, strictTransportSecurity: false });
  app.use('*', requestId(), pageHeaders);

  // The API: CORS for the allowed origins, then the key, the rate limit and the body limit.
  app.use(
    '/v1/*',
    cors({
      origin: (origin) => (options.corsOrigins.includes(origin) || options.corsOrigins.includes('*') ? origin : null),
      allowMethods: ['GET', 'POST', 'OPTIONS'],
      allowHeaders: ['Content-Type', 'Authorization', 'X-API-Key', 'Accept'],
      exposeHeaders: ['Retry-After', 'X-Request-Id'],
      maxAge: 600,
    }),
  );
  app.use('/v1/*', guard());
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: options.bodyLimitBytes,
      onError: () => {
        throw new PayloadTooLargeError(options.bodyLimitBytes);
      },
    }),
  );

  function guard(): MiddlewareHandler<Env> {
    return async (c, next) => {
      const ip = deps.clientAddress?.(c) ?? 'unknown';
      let client = `ip:${ip}`;
      if (keyMatches) {
        const key = presentedKey((n) => c.req.header(n));
        if (!keyMatches(key)) {
          // Failed attempts spend the address's tokens, so guessing keys is rate limited too.
          const r = buckets.take(client);
          if (!r.ok) throw new RateLimitedError(r.retryAfterSeconds);
          throw new UnauthorizedError();
        }
        client = `key:${sha256(key ?? '').toString('hex').slice(0, 16)}`;
      }
      const r = buckets.take(client);
      if (!r.ok) throw new RateLimitedError(r.retryAfterSeconds);
      await next();
    };
  }

  const route = (method: 'GET' | 'POST', path: string, handler: (c: Context<Env>) => Response | Promise<Response>) => {
    app.on(method, path, handler);
    const methods = allowed.get(path) ?? new Set<string>();
    methods.add(method);
    if (method === 'GET') methods.add('HEAD');
    allowed.set(path, methods);
  };

  route('POST', '/v1/ask', async (c) => {
    const body = AskRequestSchema.parse(await readJson(c));
    const request: AnswerRequest = { question: body.question };
    if (body.k !== undefined) request.k = body.k;
    if (body.answerer) request.answerer = body.answerer;
    const filter = toSearchFilter(body.filters);
    if (filter) request.filter = filter;
    if (request.answerer === 'llm' && !deps.ask.llmAvailable) {
      throw new InvalidInputError('No language model is configured on this server; ask with answerer "extractive" (the default).', 'answerer');
    }
    const sse = (c.req.header('accept') ?? '').includes('text/event-stream');
    // Extractive answers are a function of the question and the index, so they are cached.
    const key = (request.answerer ?? 'extractive') === 'extractive' ? `ask:${JSON.stringify([request.question, request.k, request.filter])}` : undefined;
    await checkIndexVersion();
    const hit = key ? cache.get(key) : undefined;
    c.header('X-Cache', hit ? 'hit' : 'miss');
    if (!sse) {
      if (hit) return c.body(hit.json, 200, JSON_HEADERS);
      const answer = await deps.ask.ask(request);
      noteFallback(c, answer.fallback);
      const json = JSON.stringify(answer);
      if (key) cache.set(key, { json, answer });
      return c.body(json, 200, JSON_HEADERS);
    }
    c.header('X-Accel-Buffering', 'no');
    return streamSSE(c, async (stream) => {
      let id = 0;
      let finished = false;
      const send = (event: string, data: unknown) => stream.writeSSE({ event, id: String(++id), data: JSON.stringify(data) });
      const events = hit?.answer ? replay(hit.answer) : deps.ask.stream(request);
      stream.onAbort(() => {
        void events.return(undefined);
      });
      try {
        for await (const e of events) {
          if (stream.aborted) break;
          await send(e.type, payloadOf(e));
          if (e.type === 'done' && !hit) noteFallback(c, e.answer.fallback);
          if (e.type === 'done' && key && !hit) cache.set(key, { json: JSON.stringify(e.answer), answer: e.answer });
          if (e.type === 'done' || e.type === 'error') {
            finished = true;
            break;
          }
        }
        if (!finished && !stream.aborted) await send('error', { code: 'answer_incomplete', message: 'The answer ended before it was complete.', status: 500 });
      } catch (error) {
        if (stream.aborted) return;
        const p = problemOf(error, c.get('requestId'));
        if (p.log) log(`POST /v1/ask stream failed with ${p.problem.status} (request ${c.get('requestId') ?? '-'})`, error);
        await send('error', { code: p.problem.code, message: p.problem.detail, status: p.problem.status });
      }
    });
  });

  route('POST', '/v1/search', async (c) => {
    const body = SearchRequestSchema.parse(await readJson(c));
    const request: SearchRequest = { query: body.query };
    if (body.k !== undefined) request.k = body.k;
    if (body.mode) request.mode = body.mode as NonNullable<SearchRequest['mode']>;
    const filter = toSearchFilter(body.filters);
    if (filter) request.filter = filter;
    const key = `search:${JSON.stringify([request.query, request.k, request.mode, request.filter])}`;
    await checkIndexVersion();
    const hit = cache.get(key);
    c.header('X-Cache', hit ? 'hit' : 'miss');
    const json = hit?.json ?? cache.set(key, { json: JSON.stringify(searchJson(await deps.searcher.search(request))) }).json;
    return c.body(json, 200, JSON_HEADERS);
  });

  route('GET', '/v1/chunks/:id', async (c) => {
    const { id } = z.object({ id: ChunkIdSchema }).parse({ id: c.req.param('id') });
    const { context } = ChunkQuerySchema.parse(c.req.query());
    const [chunk] = await deps.store.getChunks([id]);
    if (!chunk) throw new NotFoundError(`Chunk "${id}"`);
    let text: string;
    try {
      text = deps.corpus.text(chunk.file);
    } catch (cause) {
      if (cause instanceof InvalidInputError) throw cause;
      throw new NotFoundError(`The file "${chunk.file}" of chunk "${id}"`);
    }
    const out: Record<string, unknown> = { id: chunk.id, file: chunk.file, start: chunk.start, end: chunk.end, text: chunk.text, section: chunk.section, kind: chunk.kind, lang: chunk.lang };
    if (chunk.title !== undefined) out['title'] = chunk.title;
    if (chunk.difficulty !== undefined) out['difficulty'] = chunk.difficulty;
    if (chunk.roles !== undefined) out['roles'] = chunk.roles;
    return c.json({ chunk: out, context: chunkContext(text, chunk, context) });
  });

  route('GET', '/v1/documents', async (c) => c.json({ documents: await catalogue.documents() }));

  route('GET', '/v1/questions', async (c) => {
    const q = QuestionsQuerySchema.parse(c.req.query());
    return c.json(await catalogue.questions(q));
  });

  if (deps.study) for (const r of studyRoutes(deps.study, readJson, noteFallback)) route(r.method, r.path, r.handler);

  route('GET', '/healthz', (c) => c.json({ status: 'ok' }));
  route('GET', '/readyz', async (c) => {
    const r = await deps.ready();
    c.header('Cache-Control', 'no-store');
    return c.json({ ready: r.ok, detail: r.detail, answerers: deps.ask.llmAvailable ? ['extractive', 'llm'] : ['extractive'] }, r.ok ? 200 : 503);
  });

  route('GET', '/openapi.json', (c) => c.body(openapiJson, 200, { 'Content-Type': 'application/json; charset=utf-8' }));
  route('GET', '/docs', (c) => c.html(docsHtml));

  for (const [path, file] of assets) {
    route('GET', path, (c) => {
      if (path === '/widget.js') {
        // Loaded by <script src> from other sites: readable cross-origin, nothing else relaxed.
        c.header('Cross-Origin-Resource-Policy', 'cross-origin');
        c.header('Access-Control-Allow-Origin', '*');
      }
      c.header('ETag', file.etag);
      c.header('Cache-Control', 'no-cache');
      if (c.req.header('if-none-match') === file.etag) return c.body(null, 304);
      return c.body(file.body, 200, { 'Content-Type': file.type });
    });
  }

  // A known path with another method is a 405 naming the allowed ones, not a 404.
  for (const [path, methods] of allowed) {
    app.all(path, (c) => {
      throw new MethodNotAllowedError(c.req.method, c.req.path, [...methods]);
    });
  }
  return app;
}

const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8' };

/** A cached answer as the events a fresh one streams: its text, its citations, then done. */
async function* replay(answer: Answer): AsyncGenerator<AnswerEvent> {
  yield { type: 'delta', text: answer.answer };
  for (const citation of answer.citations) yield { type: 'citation', citation };
  yield { type: 'done', answer };
}

function payloadOf(e: AnswerEvent): unknown {
  switch (e.type) {
    case 'delta':
      return { text: e.text };
    case 'citation':
      return e.citation;
    case 'done':
      return e.answer;
    case 'error':
      return { code: e.code, message: e.message, status: 500 };
  }
}

/** The request body as JSON: a JSON content type, a body, and well-formed JSON, or a 4xx. */
async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header('content-type');
  if (!type || !/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) throw new UnsupportedMediaTypeError(type);
  const text = await c.req.text();
  if (text.trim() === '') throw new InvalidInputError('The request body is empty; send a JSON object.');
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new InvalidInputError(`The request body is not valid JSON (${(cause as Error).message}).`, undefined, { cause });
  }
}
