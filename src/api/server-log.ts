/**
 * Where the server records what an operator must see: failures the client cannot fix and
 * answers the language model could not give, each with the request id. `detail` is an error
 * (its stack is written) or a short text.
 *
 * What reaches it is chosen by the callers (`api/app.ts`, `api/readiness.ts`): request method,
 * path, status and id, and errors of qbank and of the services it calls. Never request bodies,
 * questions, prompts, answers or headers; see SECURITY.md.
 */
export type ServerLog = (message: string, detail: unknown) => void;

/**
 * The log of `qbank serve`: one line per event on `stream` (stderr), prefixed with the ISO time.
 *
 * @example
 * const log = streamLog(process.stderr);
 * log('POST /v1/ask failed with 500 (request 3c9b…)', error);
 * // 2026-01-01T12:00:00.000Z POST /v1/ask failed with 500 (request 3c9b…): TypeError: … (stack)
 */
export function streamLog(stream: Pick<NodeJS.WritableStream, 'write'>, now: () => Date = () => new Date()): ServerLog {
  return (message, detail) => {
    const text = detail instanceof Error ? (detail.stack ?? detail.message) : String(detail);
    stream.write(`${now().toISOString()} ${message}: ${text}\n`);
  };
}

/** A client-supplied value (a path) made safe for one log line: control characters become "?", long ones are cut. */
export function logSafe(value: string, max = 200): string {
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
