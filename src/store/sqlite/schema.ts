import type Database from 'better-sqlite3';

/** Version of the on-disk layout below; bump it whenever a table changes. */
export const SCHEMA_VERSION = 1;

/** What an index file records about how it was built. */
export interface IndexMeta {
  schemaVersion: number;
  embedderId: string;
  dimensions: number;
}

/**
 * Creates the tables of a new index and records its meta, in one transaction.
 *
 * - `chunks`: one row per chunk; its integer `seq` is the rowid shared with the two indexes.
 *   Filter columns come first and have a covering index, so a filter is evaluated without
 *   reading the (long) text columns; see `filter-sql.ts`.
 * - `chunks_fts`: contentless FTS5 over the chunk's analysed terms (see `fts-terms.ts`);
 *   `detail=full` and column sizes are kept because `bm25()` needs term counts and lengths.
 *   Rows are removed with FTS5's 'delete' command from `chunks.terms`, which keeps the BM25
 *   totals exact (`contentless_delete=1` does not decrement them in SQLite 3.53).
 * - `chunk_vectors`: sqlite-vec `vec0`, exact KNN by cosine distance.
 */
export function createSchema(db: Database.Database, meta: IndexMeta): void {
  db.transaction(() => {
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE files (file TEXT PRIMARY KEY, hash TEXT NOT NULL, chunk_count INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE chunks (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        file TEXT NOT NULL,
        lang TEXT NOT NULL,
        difficulty_lc TEXT,
        section_lc TEXT NOT NULL,
        start_offset INTEGER NOT NULL,
        end_offset INTEGER NOT NULL,
        kind TEXT NOT NULL,
        question_number INTEGER,
        difficulty TEXT,
        title TEXT,
        section TEXT NOT NULL,
        roles TEXT,
        footnotes TEXT NOT NULL,
        follow_ups TEXT,
        part TEXT,
        text TEXT NOT NULL,
        embed_text TEXT NOT NULL,
        terms TEXT NOT NULL
      );
      CREATE INDEX chunks_by_file ON chunks (file, start_offset);
      CREATE INDEX chunks_by_filter_fields ON chunks (lang, difficulty_lc, file, section_lc);
      CREATE VIRTUAL TABLE chunks_fts USING fts5(terms, content='', tokenize='ascii');
      CREATE VIRTUAL TABLE chunk_vectors USING vec0(embedding float[${meta.dimensions}] distance_metric=cosine);
    `);
    const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    put.run('schema_version', String(meta.schemaVersion));
    put.run('embedder_id', meta.embedderId);
    put.run('dimensions', String(meta.dimensions));
  })();
}

/**
 * Reads the meta of an existing index: `'empty'` for a database without any table (a new file),
 * `'foreign'` for a database that is not a qbank index or whose meta is incomplete.
 */
export function readMeta(db: Database.Database): IndexMeta | 'empty' | 'foreign' {
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[];
  if (tables.length === 0) return 'empty';
  if (!tables.includes('meta')) return 'foreign';
  const rows = db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[];
  const values = new Map(rows.map((r) => [r.key, r.value]));
  const schemaVersion = Number(values.get('schema_version'));
  const dimensions = Number(values.get('dimensions'));
  const embedderId = values.get('embedder_id');
  if (!Number.isInteger(schemaVersion) || !Number.isInteger(dimensions) || embedderId === undefined) return 'foreign';
  return { schemaVersion, embedderId, dimensions };
}
