import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { QbankError } from '../errors.js';
import { storageProblem } from '../store/sqlite/storage-error.js';

/** Layout of the cache file, kept in `PRAGMA user_version`. */
const CACHE_VERSION = 1;

/**
 * Passage vectors already computed, in a small SQLite file keyed by (embedder id, sha256 of
 * the text), so re-ingesting an unchanged or slightly changed bank embeds only new passages.
 * Vectors are stored as float32 blobs, exactly as the embedder returned them.
 *
 * @example
 * const cache = new EmbeddingCache('.qbank/embeddings.sqlite');
 * const hits = cache.getMany(embedder.id, texts); // Map<text, Float32Array> of the texts it holds
 * cache.putMany(embedder.id, [['some passage', vector]]);
 * cache.close();
 */
export class EmbeddingCache {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement;
  private readonly putStmt: Database.Statement;
  private readonly countStmt: Database.Statement;

  /**
   * Opens or creates the cache at `path` (`':memory:'` for a throwaway one). The cache only saves
   * work: where the disk is full or read-only it carries on in memory and says so once.
   */
  constructor(path: string, options: { onWarning?: (message: string) => void } = {}) {
    this.path = path;
    this.#warn = options.onWarning ?? ((m) => process.emitWarning(m, 'QbankWarning'));
    try {
      if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path);
      this.db.pragma('busy_timeout = 10000');
      this.db.pragma('journal_mode = WAL');
    } catch (err) {
      const problem = storageProblem(err);
      if (!problem) throw cacheUnavailable(path, err);
      this.#warn(`The embedding cache at ${path} cannot be written (${problem}); carrying on with a cache in memory.`);
      this.db = new Database(':memory:');
    }
    try {
      // Several processes (an ingest, a server, parallel test files) may share one cache.
      this.db.pragma('synchronous = NORMAL');
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version === 0) {
        this.db.exec(`
          CREATE TABLE IF NOT EXISTS embeddings (
            embedder_id TEXT NOT NULL,
            text_sha256 BLOB NOT NULL,
            vector BLOB NOT NULL,
            PRIMARY KEY (embedder_id, text_sha256)
          ) WITHOUT ROWID;
          PRAGMA user_version = ${CACHE_VERSION};`);
      } else if (version !== CACHE_VERSION) {
        throw new QbankError(
          'cache_unavailable',
          `The embedding cache at ${path} has layout ${version}, but this qbank reads layout ${CACHE_VERSION}. Delete the file; it is refilled as passages are embedded.`,
        );
      }
      this.getStmt = this.db.prepare('SELECT vector FROM embeddings WHERE embedder_id = ? AND text_sha256 = ?').pluck();
      this.putStmt = this.db.prepare('INSERT OR REPLACE INTO embeddings (embedder_id, text_sha256, vector) VALUES (?, ?, ?)');
      this.countStmt = this.db.prepare('SELECT count(*) FROM embeddings WHERE embedder_id = ?').pluck();
    } catch (err) {
      this.db.close();
      if (err instanceof QbankError) throw err;
      throw cacheUnavailable(path, err);
    }
  }

  /** The vectors held for those of `texts` the cache knows; each is a fresh copy. */
  getMany(embedderId: string, texts: readonly string[]): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    this.db.transaction(() => {
      for (const text of texts) {
        if (out.has(text)) continue;
        const blob = this.getStmt.get(embedderId, sha256(text)) as Buffer | undefined;
        if (blob !== undefined) out.set(text, new Float32Array(new Uint8Array(blob).buffer));
      }
    })();
    return out;
  }

  /** Stores the vectors in one transaction, replacing any held for the same texts. */
  putMany(embedderId: string, entries: Iterable<readonly [text: string, vector: Float32Array]>): void {
    if (this.#readOnly) return;
    try {
      this.db.transaction(() => {
        for (const [text, vector] of entries) {
          this.putStmt.run(embedderId, sha256(text), Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength));
        }
      })();
    } catch (err) {
      const problem = storageProblem(err);
      if (!problem) throw err;
      // The cache only saves work: stop writing to it, and say so once.
      this.#readOnly = true;
      this.#warn(`The embedding cache at ${this.path} cannot be written (${problem}); new vectors are not cached.`);
    }
  }

  #readOnly = false;
  readonly #warn: (message: string) => void;

  /** How many vectors the cache holds for the embedder. */
  count(embedderId: string): number {
    return this.countStmt.get(embedderId) as number;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function cacheUnavailable(path: string, err: unknown): QbankError {
  const reason = err instanceof Error ? err.message : String(err);
  return new QbankError(
    'cache_unavailable',
    `The embedding cache at ${path} cannot be used (${reason}). Delete the file; it is refilled as passages are embedded.`,
    { cause: err },
  );
}
