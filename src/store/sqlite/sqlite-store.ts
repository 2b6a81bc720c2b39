import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import type { Chunk, FileRecord } from '../../ports/chunk.js';
import type { IndexChange, IndexInfo, ScoredId, SearchFilter, Store, TermStatistics } from '../../ports/store.js';
import { IndexMismatchError, IndexUnavailableError, InvalidInputError, QbankError } from '../../errors.js';
import { CHUNK_COLUMNS, chunkToRow, rowToChunk, type ChunkRow } from './chunk-row.js';
import { filterSql, type FilterSql } from './filter-sql.js';
import { ftsDocument, ftsMatchExpression, ftsToken } from './fts-terms.js';
import { createSchema, readMeta, SCHEMA_VERSION, type IndexMeta } from './schema.js';
import { StorageError, storageProblem } from './storage-error.js';
import { vectorFromBlob, vectorToBlob } from './vector-blob.js';

export { SCHEMA_VERSION } from './schema.js';

/**
 * How to open a SQLite index.
 *
 * @example
 * const store = SqliteStore.open({ path: '.qbank/index.sqlite', embedderId: embedder.id, dimensions: embedder.dimensions });
 */
export interface SqliteStoreOptions {
  /** The index file; it and its directory are created when missing. `':memory:'` for a throwaway index. */
  path: string;
  /** Id of the embedder that makes the vectors; an existing index built with another one is refused. */
  embedderId: string;
  /** Length of every vector, 1 to 8192. */
  dimensions: number;
  /** Open an existing index for reading only, e.g. in a server while another process ingests. Default `false`. */
  readonly?: boolean;
  /**
   * Bytes of the file SQLite memory-maps for reading (address space, not resident memory);
   * 0 turns mapping off. Default 1 GiB: vector search reads every vector, and mapped reads
   * made it about 3× faster at 2,000 and 50,000 chunks.
   */
  mmapSize?: number;
}

const DEFAULT_MMAP_SIZE = 2 ** 30;

/** vec0 (sqlite-vec 0.1.x) refuses KNN queries with k above this; larger limits use an exact scan. */
const MAX_KNN_K = 4096;
/** Terms whose document frequency `termStatistics` remembers; the cache starts over beyond. */
const TERM_CACHE_LIMIT = 100_000;
/** vec0's own limit on vector length. */
const MAX_DIMENSIONS = 8192;

type Statement = Database.Statement;

/**
 * The embedded index: one SQLite file (WAL) holding chunks, an FTS5 index over their analysed
 * terms (BM25) and a sqlite-vec `vec0` table of their vectors (exact cosine KNN). Every change
 * is one transaction, so a reader on another connection sees the old index or the new one.
 *
 * All work is synchronous under the promises: calls never interleave.
 *
 * @example
 * const store = SqliteStore.open({ path: ':memory:', embedderId: 'test', dimensions: 3 });
 * await store.apply({ upsert: [{ file, chunks }], remove: [] });
 * const hits = await store.keywordSearch(['attent', 'gqa'], 10, { difficulty: ['hard'] });
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly path: string;
  readonly readonly: boolean;
  private readonly db: Database.Database;
  private readonly meta: IndexMeta;
  private readonly s: ReturnType<typeof prepareStatements>;
  /** Search statements per filter shape, prepared on first use. */
  private readonly keywordStatements = new Map<string, Statement>();
  private readonly knnStatements = new Map<string, Statement>();
  private readonly scanStatements = new Map<string, Statement>();
  private readonly applyTransaction: Database.Transaction<(change: IndexChange) => void>;

  private constructor(db: Database.Database, path: string, meta: IndexMeta, readonly: boolean) {
    this.db = db;
    this.path = path;
    this.meta = meta;
    this.readonly = readonly;
    this.s = prepareStatements(db);
    this.applyTransaction = db.transaction((change: IndexChange) => this.applyInTransaction(change));
  }

  /**
   * Opens the index at `path`, creating it when the file is missing or empty.
   *
   * @throws IndexMismatchError when the file was built with another embedder, dimensions or schema.
   * @throws IndexUnavailableError when the file is corrupt, not a qbank index, or (read-only) missing.
   */
  static open(options: SqliteStoreOptions): SqliteStore {
    const { path, embedderId, dimensions } = options;
    const readonly = options.readonly ?? false;
    if (embedderId === '') throw new InvalidInputError('The embedder id of an index must not be empty.', 'embedderId');
    if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_DIMENSIONS) {
      throw new InvalidInputError(`Vector dimensions must be an integer from 1 to ${MAX_DIMENSIONS}, not ${dimensions}.`, 'dimensions');
    }
    const mmapSize = options.mmapSize ?? DEFAULT_MMAP_SIZE;
    if (!Number.isSafeInteger(mmapSize) || mmapSize < 0) {
      throw new InvalidInputError(`mmapSize must be a whole number of bytes, 0 or more, not ${mmapSize}.`, 'mmapSize');
    }
    const expected: IndexMeta = { schemaVersion: SCHEMA_VERSION, embedderId, dimensions };
    const inMemory = path === ':memory:' || path === '';

    let db: Database.Database;
    try {
      if (!readonly && !inMemory) mkdirSync(dirname(path), { recursive: true });
      db = new Database(path, { readonly, fileMustExist: readonly });
    } catch (err) {
      const reason = readonly ? 'the file does not exist or cannot be read' : 'the file cannot be created or opened';
      throw new IndexUnavailableError(path, `${reason} (${errorMessage(err)})`, { cause: err });
    }

    try {
      sqliteVec.load(db);
      // The first statement reads the header: a file that is not SQLite fails here.
      if (!readonly) {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
      }
      db.pragma(`mmap_size = ${mmapSize}`);
      const found = readMeta(db);
      let meta: IndexMeta;
      if (found === 'empty') {
        if (readonly) throw new IndexUnavailableError(path, 'the file is empty, not a qbank index');
        createSchema(db, expected);
        meta = expected;
      } else if (found === 'foreign') {
        throw new IndexUnavailableError(path, 'it is a SQLite database but not a qbank index');
      } else {
        if (
          found.schemaVersion !== expected.schemaVersion ||
          found.embedderId !== expected.embedderId ||
          found.dimensions !== expected.dimensions
        ) {
          throw new IndexMismatchError(path, found, expected);
        }
        meta = found;
      }
      return new SqliteStore(db, path, meta, readonly);
    } catch (err) {
      db.close();
      if (err instanceof QbankError) throw err;
      const problem = storageProblem(err);
      if (problem && !readonly) throw new StorageError(path, problem, { cause: err });
      throw unavailable(path, err);
    }
  }

  async info(): Promise<IndexInfo> {
    return this.guard(() => {
      const counts = this.s.counts.get() as { chunks: number; files: number };
      return {
        schemaVersion: this.meta.schemaVersion,
        embedderId: this.meta.embedderId,
        dimensions: this.meta.dimensions,
        chunkCount: counts.chunks,
        fileCount: counts.files,
      };
    });
  }

  async listFiles(): Promise<FileRecord[]> {
    return this.guard(() => this.s.listFiles.all() as FileRecord[]);
  }

  async apply(change: IndexChange): Promise<void> {
    if (this.readonly) {
      throw new QbankError('index_read_only', `The index at ${this.path} was opened read-only; open it without \`readonly\` to change it.`);
    }
    const seen = new Set<string>();
    for (const file of [...change.upsert.map((u) => u.file.file), ...change.remove]) {
      if (seen.has(file)) {
        throw new InvalidInputError(`The change names ${file} more than once; upsert or remove each file once per change.`, 'change');
      }
      seen.add(file);
    }
    this.guard(() => this.applyTransaction.immediate(change));
  }

  async getChunks(ids: readonly string[]): Promise<Chunk[]> {
    if (ids.length === 0) return [];
    return this.guard(() => {
      const rows = this.s.chunksById.all(JSON.stringify(ids)) as ChunkRow[];
      const byId = new Map(rows.map((r) => [r.id, r]));
      const out: Chunk[] = [];
      for (const id of ids) {
        const row = byId.get(id);
        if (row !== undefined) out.push(rowToChunk(row));
      }
      return out;
    });
  }

  async chunksOfFile(file: string): Promise<Chunk[]> {
    return this.guard(() => (this.s.chunksOfFile.all(file) as ChunkRow[]).map(rowToChunk));
  }

  async termStatistics(terms: readonly string[]): Promise<TermStatistics> {
    return this.guard(() => {
      const cache = this.currentTermCache();
      const df = new Map<string, number>();
      const missing: string[] = [];
      for (const t of new Set(terms)) {
        if (t === '') continue;
        const n = cache.df.get(t);
        if (n === undefined) missing.push(t);
        else if (n > 0) df.set(t, n);
      }
      if (missing.length > 0) {
        this.vocab ??= this.createVocab();
        const byToken = new Map(missing.map((t) => [ftsToken(t), t]));
        const rows = this.db.prepare(`SELECT term, doc FROM temp.chunks_vocab WHERE term IN (${missing.map(() => '?').join(',')})`).all(...byToken.keys()) as { term: string; doc: number }[];
        for (const row of rows) {
          const term = byToken.get(row.term);
          if (term !== undefined) df.set(term, row.doc);
        }
        if (cache.df.size + missing.length > TERM_CACHE_LIMIT) cache.df.clear();
        for (const t of missing) cache.df.set(t, df.get(t) ?? 0);
      }
      return { docCount: cache.docCount, df };
    });
  }

  /**
   * Document count and frequencies seen so far, for as long as the index is unchanged: the
   * cache is dropped when this connection writes or `PRAGMA data_version` says another one
   * (an ingest beside a server) committed. Saves a statement prepare and an fts5vocab scan per
   * query term on the search hot path.
   */
  private currentTermCache(): { version: number; docCount: number; df: Map<string, number> } {
    const version = this.s.dataVersion.get() as number;
    if (this.termCache?.version !== version) {
      this.termCache = { version, docCount: (this.s.counts.get() as { chunks: number }).chunks, df: new Map() };
    }
    return this.termCache;
  }

  private termCache: { version: number; docCount: number; df: Map<string, number> } | undefined;

  /** fts5vocab over the FTS index, in the connection's temp schema so read-only files work too. */
  private createVocab(): true {
    this.db.exec("CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_vocab USING fts5vocab(main, chunks_fts, 'row')");
    return true;
  }

  private vocab: true | undefined;

  async keywordSearch(terms: readonly string[], limit: number, filter?: SearchFilter): Promise<ScoredId[]> {
    const match = ftsMatchExpression(terms);
    const k = Math.floor(limit);
    if (match === undefined || !(k >= 1)) return [];
    return this.guard(() => {
      const f = filterSql(filter, 'c');
      let stmt = this.keywordStatements.get(f.key);
      if (stmt === undefined) {
        // bm25() is negative, lower is better; the port wants positive scores, higher better.
        stmt = this.db.prepare(`
          SELECT c.id AS id, -bm25(chunks_fts) AS score
          FROM chunks_fts JOIN chunks c ON c.seq = chunks_fts.rowid
          WHERE chunks_fts MATCH $match AND ${f.where}
          ORDER BY score DESC, c.id
          LIMIT $limit`);
        this.keywordStatements.set(f.key, stmt);
      }
      return stmt.all({ ...f.params, match, limit: k }) as ScoredId[];
    });
  }

  async vectorSearch(vector: Float32Array, limit: number, filter?: SearchFilter): Promise<ScoredId[]> {
    this.checkVector(vector, 'The query vector');
    const k = Math.floor(limit);
    if (!(k >= 1)) return [];
    return this.guard(() => {
      const f = filterSql(filter, 'c');
      const rows = (k <= MAX_KNN_K ? this.knnStatement(f) : this.scanStatement(f)).all({
        ...f.params,
        vector: vectorToBlob(vector),
        k,
      }) as { id: string; distance: number }[];
      return rows.map((r) => ({ id: r.id, score: 1 - r.distance }));
    });
  }

  async getVectors(ids: readonly string[]): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    if (ids.length === 0) return out;
    return this.guard(() => {
      for (const row of this.s.vectorsById.all(JSON.stringify(ids)) as { id: string; embedding: Buffer }[]) {
        out.set(row.id, vectorFromBlob(row.embedding));
      }
      return out;
    });
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  /**
   * Exact KNN inside vec0. A filter is pushed into the KNN as `rowid IN (…)`, so vec0 ranks only
   * matching chunks and the result is the true top-k among them (not a post-filtered top-k).
   */
  private knnStatement(f: FilterSql): Statement {
    let stmt = this.knnStatements.get(f.key);
    if (stmt === undefined) {
      const narrow = f.key === '----' ? '' : `AND rowid IN (SELECT c.seq FROM chunks c WHERE ${f.where})`;
      stmt = this.db.prepare(`
        WITH knn AS MATERIALIZED (
          SELECT rowid, distance FROM chunk_vectors
          WHERE embedding MATCH $vector AND k = $k ${narrow}
        )
        SELECT c.id AS id, knn.distance AS distance
        FROM knn JOIN chunks c ON c.seq = knn.rowid
        ORDER BY knn.distance, c.id`);
      this.knnStatements.set(f.key, stmt);
    }
    return stmt;
  }

  /** Exact scan for limits vec0 refuses: distance of every matching chunk, sorted. */
  private scanStatement(f: FilterSql): Statement {
    let stmt = this.scanStatements.get(f.key);
    if (stmt === undefined) {
      stmt = this.db.prepare(`
        SELECT c.id AS id, vec_distance_cosine(v.embedding, $vector) AS distance
        FROM chunks c CROSS JOIN chunk_vectors v ON v.rowid = c.seq
        WHERE ${f.where}
        ORDER BY distance, c.id
        LIMIT $k`);
      this.scanStatements.set(f.key, stmt);
    }
    return stmt;
  }

  private applyInTransaction(change: IndexChange): void {
    const s = this.s;
    // data_version changes only for other connections' commits: forget what this one cached.
    this.termCache = undefined;
    for (const file of [...change.upsert.map((u) => u.file.file), ...change.remove]) {
      for (const { seq, terms } of s.chunksToDelete.all(file) as { seq: number; terms: string }[]) {
        s.deleteFts.run(seq, ftsDocument(JSON.parse(terms) as string[]));
        s.deleteVector.run(BigInt(seq));
      }
      s.deleteChunksOfFile.run(file);
      s.deleteFile.run(file);
    }
    for (const { file, chunks } of change.upsert) {
      s.insertFile.run(file.file, file.hash, file.chunkCount);
      for (const chunk of chunks) {
        if (chunk.file !== file.file) {
          throw new InvalidInputError(`Chunk ${chunk.id} belongs to ${chunk.file} but was upserted with ${file.file}.`, 'change');
        }
        this.checkVector(chunk.vector, `The vector of chunk ${chunk.id} (${chunk.file})`);
        let seq: number;
        try {
          seq = Number(s.insertChunk.run(chunkToRow(chunk)).lastInsertRowid);
        } catch (err) {
          if (err instanceof Database.SqliteError && err.code === 'SQLITE_CONSTRAINT_UNIQUE') {
            throw new InvalidInputError(
              `Chunk id ${chunk.id} (${chunk.file}) is already in the index or appears twice in the change; chunk ids must be unique.`,
              'change',
              { cause: err },
            );
          }
          throw err;
        }
        s.insertFts.run(seq, ftsDocument(chunk.terms));
        s.insertVector.run(BigInt(seq), vectorToBlob(chunk.vector));
      }
    }
  }

  private checkVector(vector: Float32Array, what: string): void {
    if (vector.length !== this.meta.dimensions) {
      throw new InvalidInputError(
        `${what} has ${vector.length} dimensions, but the index at ${this.path} holds ${this.meta.dimensions}-dimensional vectors of embedder "${this.meta.embedderId}".`,
        'vector',
      );
    }
  }

  /** Runs `fn`, turning SQLite's "this file is broken" errors into `IndexUnavailableError`. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof Database.SqliteError && /^SQLITE_(CORRUPT|NOTADB)/.test(err.code)) throw unavailable(this.path, err);
      const problem = storageProblem(err);
      if (problem) throw new StorageError(this.path, problem, { cause: err });
      throw err;
    }
  }
}

function prepareStatements(db: Database.Database) {
  return {
    counts: db.prepare('SELECT (SELECT count(*) FROM chunks) AS chunks, (SELECT count(*) FROM files) AS files'),
    dataVersion: db.prepare('PRAGMA data_version').pluck(),
    listFiles: db.prepare('SELECT file, hash, chunk_count AS chunkCount FROM files ORDER BY file'),
    chunksById: db.prepare(`SELECT ${CHUNK_COLUMNS} FROM chunks WHERE id IN (SELECT value FROM json_each(?))`),
    chunksOfFile: db.prepare(`SELECT ${CHUNK_COLUMNS} FROM chunks WHERE file = ? ORDER BY start_offset, end_offset, seq`),
    // CROSS JOIN keeps chunks as the outer loop: one vec0 point lookup per asked id.
    vectorsById: db.prepare(`
      SELECT c.id AS id, v.embedding AS embedding
      FROM chunks c CROSS JOIN chunk_vectors v ON v.rowid = c.seq
      WHERE c.id IN (SELECT value FROM json_each(?))`),
    chunksToDelete: db.prepare('SELECT seq, terms FROM chunks WHERE file = ?'),
    // A contentless FTS5 row is deleted by giving back exactly the document that was indexed.
    deleteFts: db.prepare(`INSERT INTO chunks_fts (chunks_fts, rowid, terms) VALUES ('delete', ?, ?)`),
    deleteVector: db.prepare('DELETE FROM chunk_vectors WHERE rowid = ?'),
    deleteChunksOfFile: db.prepare('DELETE FROM chunks WHERE file = ?'),
    deleteFile: db.prepare('DELETE FROM files WHERE file = ?'),
    insertFile: db.prepare('INSERT INTO files (file, hash, chunk_count) VALUES (?, ?, ?)'),
    insertChunk: db.prepare(`
      INSERT INTO chunks (id, file, start_offset, end_offset, text, embed_text, title, section, section_lc,
        question_number, difficulty, difficulty_lc, roles, lang, kind, footnotes, follow_ups, part, terms)
      VALUES ($id, $file, $start_offset, $end_offset, $text, $embed_text, $title, $section, $section_lc,
        $question_number, $difficulty, $difficulty_lc, $roles, $lang, $kind, $footnotes, $follow_ups, $part, $terms)`),
    insertFts: db.prepare('INSERT INTO chunks_fts (rowid, terms) VALUES (?, ?)'),
    insertVector: db.prepare('INSERT INTO chunk_vectors (rowid, embedding) VALUES (?, ?)'),
  };
}

function unavailable(path: string, err: unknown): IndexUnavailableError {
  const corrupt = err instanceof Database.SqliteError && /^SQLITE_(CORRUPT|NOTADB)/.test(err.code);
  const reason = corrupt ? 'it is not a SQLite database or it is corrupt' : 'SQLite cannot read it';
  return new IndexUnavailableError(path, `${reason} (${errorMessage(err)})`, { cause: err });
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
