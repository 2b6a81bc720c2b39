import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { IndexMismatchError, IndexUnavailableError, InvalidInputError, QbankError, StoreRequestError } from '../errors.js';

/** An error the HTTP layer answers with its own status and headers. */
export class HttpProblemError extends QbankError {
  constructor(
    code: string,
    message: string,
    readonly status: number,
    readonly headers: Record<string, string> = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

export class UnauthorizedError extends HttpProblemError {
  constructor() {
    super('unauthorized', 'This server requires an API key: send it as "Authorization: Bearer <key>" or in the X-API-Key header.', 401, { 'WWW-Authenticate': 'Bearer realm="qbank"' });
  }
}

export class RateLimitedError extends HttpProblemError {
  constructor(readonly retryAfterSeconds: number) {
    super('rate_limited', `Too many requests from this client; try again in ${retryAfterSeconds} s.`, 429, { 'Retry-After': String(retryAfterSeconds) });
  }
}

export class NotFoundError extends HttpProblemError {
  constructor(what: string) {
    super('not_found', `${what} was not found.`, 404);
  }
}

export class MethodNotAllowedError extends HttpProblemError {
  constructor(readonly method: string, readonly path: string, readonly allowed: readonly string[]) {
    super('method_not_allowed', `${method} is not allowed on ${path}; use ${allowed.join(' or ')}.`, 405, { Allow: allowed.join(', ') });
  }
}

export class PayloadTooLargeError extends HttpProblemError {
  constructor(readonly limitBytes: number) {
    super('payload_too_large', `The request body is larger than ${limitBytes} bytes; send a shorter question.`, 413);
  }
}

export class UnsupportedMediaTypeError extends HttpProblemError {
  constructor(readonly contentType: string | undefined) {
    super('unsupported_media_type', `The request body must be JSON (Content-Type: application/json), not ${contentType ? `"${contentType}"` : 'a body without a Content-Type'}.`, 415);
  }
}

/** RFC 9457 problem details, with qbank's stable `code` and, for bad input, the field at fault. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  field?: string;
  errors?: { path: string; message: string }[];
  requestId?: string;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Problem codes and when they happen; the docs page lists them under `#problem-<code>`. */
export const PROBLEM_CODES: Record<string, { status: number; when: string }> = {
  invalid_input: { status: 400, when: 'The body, a parameter or a field has the wrong type, is missing, empty, too long, or the JSON is malformed.' },
  unauthorized: { status: 401, when: 'An API key is configured and the request carries none, or a wrong one.' },
  not_found: { status: 404, when: 'No such route, chunk or file.' },
  method_not_allowed: { status: 405, when: 'The path exists but not with this method; the Allow header lists the methods.' },
  payload_too_large: { status: 413, when: 'The request body is over the configured limit (64 KiB by default).' },
  unsupported_media_type: { status: 415, when: 'A POST body that is not JSON.' },
  rate_limited: { status: 429, when: 'The client used up its token bucket; Retry-After says when to come back.' },
  unavailable: { status: 503, when: 'The index or the embedding model is not ready, or the index store (Qdrant) is not answering; Retry-After says when to try again.' },
  internal_error: { status: 500, when: 'An unexpected failure; it is logged on the server with the request id.' },
};

/** What a failure becomes over HTTP; `log` is true for failures that the server must record. */
export function problemOf(error: unknown, requestId?: string): { problem: Problem; headers: Record<string, string>; log: boolean } {
  const make = (status: number, code: string, detail: string, extra: Partial<Problem> = {}): Problem => {
    const p: Problem = { type: `/docs#problem-${code}`, title: TITLES[status] ?? 'Error', status, detail, code, ...extra };
    if (requestId) p.requestId = requestId;
    return p;
  };
  if (error instanceof HttpProblemError) return { problem: make(error.status, error.code, error.message), headers: error.headers, log: false };
  if (error instanceof z.ZodError) {
    const errors = error.issues.map((i) => {
      // An unknown field is named, so a typo ("questoin") is easy to spot.
      const path = i.code === 'unrecognized_keys' ? [...i.path, ...i.keys.slice(0, 1)] : i.path;
      return { path: path.map(String).join('.') || '(body)', message: i.message };
    });
    const detail = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
    const extra: Partial<Problem> = { errors };
    const first = errors[0]?.path;
    if (first && first !== '(body)') extra.field = first;
    return { problem: make(400, 'invalid_input', detail, extra), headers: {}, log: false };
  }
  if (error instanceof InvalidInputError) {
    return { problem: make(400, 'invalid_input', error.message, error.field ? { field: error.field } : {}), headers: {}, log: false };
  }
  if (error instanceof IndexUnavailableError || error instanceof IndexMismatchError || (error instanceof QbankError && error.code === 'embedder_load_failed')) {
    return { problem: make(503, 'unavailable', 'The index or the embedding model is not available; see the server log.'), headers: { 'Retry-After': '30' }, log: true };
  }
  if (error instanceof StoreRequestError && error.unavailable) {
    return { problem: make(503, 'unavailable', 'The index store is not answering; try again shortly.'), headers: { 'Retry-After': '5' }, log: true };
  }
  if (error instanceof HTTPException) {
    const status = error.status;
    const code = status === 413 ? 'payload_too_large' : status === 401 ? 'unauthorized' : status === 404 ? 'not_found' : status < 500 ? 'invalid_input' : 'internal_error';
    return { problem: make(status, code, status < 500 ? error.message || (TITLES[status] ?? 'Error') : 'The server failed; the error was logged.'), headers: {}, log: status >= 500 };
  }
  return { problem: make(500, 'internal_error', 'The server failed to answer; the error was logged with this request id.'), headers: {}, log: true };
}

/** Headers of a problem response, besides those the error brings (Retry-After, Allow, …). */
export const PROBLEM_HEADERS = { 'Content-Type': 'application/problem+json; charset=utf-8', 'Cache-Control': 'no-store' } as const;
