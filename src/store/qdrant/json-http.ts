import http from 'node:http';
import https from 'node:https';
import { StoreRequestError } from '../../errors.js';
import { parseJsonBody } from './parse-json-body.js';

/**
 * A request to Qdrant failed: the server is unreachable, timed out, or answered with an error.
 * `status` is the HTTP status, absent when no answer came; `unavailable` tells an outage from a
 * refused request (see `StoreRequestError`).
 */
export class QdrantRequestError extends StoreRequestError {
  constructor(
    readonly url: string,
    readonly operation: string,
    status: number | undefined,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      'store_request_failed',
      status === undefined
        ? `Qdrant at ${url} did not answer ${operation}: ${detail}. Check that it runs and that QDRANT_URL points to it.`
        : `Qdrant at ${url} refused ${operation} (HTTP ${status}): ${detail}.`,
      status,
      options,
    );
  }
}

const IDLE_SOCKET_MS = 4000;

/** The server closed a kept-alive socket just as a request went out on it. */
class StaleSocketError extends Error {}

/** How the hot-path transport connects. */
export interface JsonHttpOptions {
  /** Qdrant's base URL, e.g. http://127.0.0.1:6333. */
  url: string;
  apiKey?: string;
  /** Per-request deadline in ms. Default 30000. */
  timeoutMs?: number;
  /** Most sockets kept open to Qdrant (one request each at a time). Default 32. */
  maxSockets?: number;
}

/**
 * JSON over HTTP/1.1 with kept-alive sockets (`node:http` Agent, TCP_NODELAY) for the search hot
 * path. It asks for an uncompressed answer: Node's `fetch` (which the official client uses)
 * sends `accept-encoding: gzip, deflate, br`, Qdrant then streams a compressed chunked body, and
 * the last small segment waits on the client's delayed ACK — about 40 ms per call on loopback.
 * Answers are parsed without making large two-byte strings (`parse-json-body.ts`). See the
 * measurements in `bench/stores.ts`.
 *
 * @example
 * const h = new JsonHttp({ url: 'http://127.0.0.1:6333' });
 * const r = await h.post<{ points: unknown[] }>('/collections/qbank/points/query', { query: [0.1, 0.2], limit: 5 }, 'a vector query');
 */
export class JsonHttp {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(options: JsonHttpOptions) {
    this.base = new URL(options.url);
    const secure = this.base.protocol === 'https:';
    // Idle sockets are dropped after 4 s, before Qdrant (actix-web) closes them at 5 s.
    const agentOptions: http.AgentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 32, noDelay: true, timeout: IDLE_SOCKET_MS };
    this.agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.headers = { 'content-type': 'application/json', 'accept-encoding': 'identity' };
    if (options.apiKey) this.headers['api-key'] = options.apiKey;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /**
   * POSTs `body` as JSON and returns Qdrant's `result`. A request that fails on a reused socket
   * the server had closed meanwhile is sent once more on a new one (qbank's reads are idempotent).
   */
  async post<T>(path: string, body: unknown, operation: string): Promise<T> {
    const payload = Buffer.from(JSON.stringify(body), 'utf8');
    const url = new URL(path.replace(/^\//, ''), this.base.href.endsWith('/') ? this.base.href : `${this.base.href}/`);
    try {
      return await this.send<T>(url, payload, operation);
    } catch (err) {
      if (!(err instanceof StaleSocketError)) throw err;
      return this.send<T>(url, payload, operation);
    }
  }

  private send<T>(url: URL, payload: Buffer, operation: string): Promise<T> {
    const lib = url.protocol === 'https:' ? https : http;
    return new Promise<T>((resolve, reject) => {
      const req = lib.request(
        url,
        { method: 'POST', agent: this.agent, headers: { ...this.headers, 'content-length': String(payload.length) }, timeout: this.timeoutMs },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('error', (err) => reject(new QdrantRequestError(this.base.origin, operation, undefined, err.message, { cause: err })));
          res.on('end', () => {
            const body = Buffer.concat(parts);
            let parsed: { result?: unknown; status?: { error?: string } | string } | undefined;
            try {
              parsed = parseJsonBody(body) as typeof parsed;
            } catch {
              parsed = undefined;
            }
            if (res.statusCode === 200 && parsed !== undefined) {
              resolve(parsed.result as T);
              return;
            }
            const detail = typeof parsed?.status === 'object' && parsed.status.error ? parsed.status.error : body.toString('utf8', 0, 1200).slice(0, 300) || (res.statusMessage ?? 'no detail');
            reject(new QdrantRequestError(this.base.origin, operation, res.statusCode, detail));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) reject(new StaleSocketError());
        else reject(new QdrantRequestError(this.base.origin, operation, undefined, err.message, { cause: err }));
      });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
