/**
 * Base of every error qbank raises on purpose. Subclasses carry structured fields and a
 * full-sentence message that says how to fix the problem; wrap causes with `{ cause }`.
 */
export class QbankError extends Error {
  /** Stable machine-readable code, e.g. `index_mismatch`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The index on disk was built with another embedder or schema than the one configured. */
export class IndexMismatchError extends QbankError {
  constructor(
    readonly path: string,
    readonly found: { embedderId: string; dimensions: number; schemaVersion: number },
    readonly expected: { embedderId: string; dimensions: number; schemaVersion: number },
  ) {
    super(
      'index_mismatch',
      `The index at ${path} was built with embedder "${found.embedderId}" (${found.dimensions} dimensions, schema ${found.schemaVersion}), ` +
        `but qbank is configured for "${expected.embedderId}" (${expected.dimensions} dimensions, schema ${expected.schemaVersion}). ` +
        `Rebuild it with: npx qbank ingest --rebuild`,
    );
  }
}

/** The index cannot be opened or read (missing, corrupt, unreadable). */
export class IndexUnavailableError extends QbankError {
  constructor(readonly path: string, reason: string, options?: { cause?: unknown }) {
    super('index_unavailable', `The index at ${path} cannot be used: ${reason}. Build it with: npx qbank ingest --rebuild`, options);
  }
}

/**
 * A request to the index store failed. `status` is the store's HTTP status, absent when no
 * answer came. `unavailable` is true when the store is down, restarting or overloaded (no
 * answer, a 5xx or a 429) and a retry later may succeed: the HTTP API answers 503 with
 * Retry-After, and `/readyz` fails until the store answers again.
 */
export class StoreRequestError extends QbankError {
  readonly unavailable: boolean;
  constructor(code: string, message: string, readonly status: number | undefined, options?: { cause?: unknown }) {
    super(code, message, options);
    this.unavailable = status === undefined || status >= 500 || status === 429;
  }
}

/** Input from a user (CLI flag, HTTP body, config) is invalid. */
export class InvalidInputError extends QbankError {
  constructor(message: string, readonly field?: string, options?: { cause?: unknown }) {
    super('invalid_input', message, options);
  }
}

/** A corpus file could not be ingested; ingestion of the other files goes on. */
export class SourceFileError extends QbankError {
  constructor(readonly file: string, readonly reason: string, options?: { cause?: unknown }) {
    super('bad_source_file', `Skipped ${file}: ${reason}.`, options);
  }
}

/** The configuration is invalid; the message names the flag or variable and how to fix it. */
export class ConfigError extends QbankError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('config_error', message, options);
  }
}

/**
 * The language model did not produce an answer: it timed out, the request was aborted, or the
 * server failed. The ask service falls back to the extractive answer when it sees one.
 */
export class LlmError extends QbankError {
  constructor(readonly reason: 'timeout' | 'aborted' | 'failed', message: string, options?: { cause?: unknown }) {
    super(`llm_${reason}`, message, options);
  }
}
