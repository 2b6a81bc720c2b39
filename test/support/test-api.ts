import type { Context } from 'hono';
import { createApi, type ApiDeps } from '../../src/api/app.js';
import { DEFAULT_API_OPTIONS, type ApiOptions } from '../../src/api/options.js';
import { createEventStreamParser, type StreamEvent } from '../../src/web/sse.js';
import type { MemoryIndex } from './memory-index.js';

/**
 * The API over a memory index, for `app.request(...)` tests. Rate limiting is off unless
 * asked for; the client address is read from the `x-test-client` header.
 */
export function testApi(index: MemoryIndex, options: Partial<ApiOptions> = {}, deps: Partial<ApiDeps> = {}) {
  const errors: unknown[] = [];
  const app = createApi({
    ask: index.ask,
    searcher: index.searcher,
    store: index.store,
    corpus: index.corpus,
    ready: () => ({ ok: true, detail: 'test index' }),
    options: { ...DEFAULT_API_OPTIONS, rateLimit: { perMinute: 0, burst: 1 }, ...options },
    clientAddress: (c: Context) => c.req.header('x-test-client'),
    log: (_message, error) => errors.push(error),
    ...deps,
  });
  return { app, errors };
}

/** A JSON POST. */
export function post(path: string, body: unknown, headers: Record<string, string> = {}): [string, RequestInit] {
  return [path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) }];
}

/** Every event of an event-stream body, parsed with the study page's own parser. */
export async function events(res: Response): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  const parser = createEventStreamParser((e) => out.push(e));
  parser.push(await res.text());
  parser.end();
  return out;
}
