import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { IndexMismatchError, IndexUnavailableError } from '../../errors.js';
import type { StoredChunk } from '../../ports/chunk.js';
import type { IndexChange } from '../../ports/store.js';
import { runStoreContract } from '../contract.js';
import { SCHEMA_VERSION, SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'qbank-sqlite-store-'));
let n = 0;
const tempPath = () => join(dir, `index-${++n}.sqlite`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runStoreContract('sqlite in memory', async (o) => SqliteStore.open({ path: ':memory:', ...o }));
runStoreContract('sqlite file', async (o) => SqliteStore.open({ path: tempPath(), ...o }), { numRuns: 15 });

describe('SqliteStore files', () => {
  const opts = { embedderId: 'minilm-l6@q8', dimensions: 4 };
  const vec = (...xs: number[]) => Float32Array.from(xs);
  const chunk = (file: string, id: string, terms: string[], vector = vec(1, 0, 0, 0)): StoredChunk => ({
    id, file, start: 0, end: 1, text: id, embedText: id, section: ['S'], lang: 'en', kind: 'qa', footnotes: [], terms, vector,
  });
  const change = (file: string, chunks: StoredChunk[]): IndexChange => ({
    upsert: [{ file: { file, hash: `h-${chunks.map((c) => c.id).join()}`, chunkCount: chunks.length }, chunks }],
    remove: [],
  });

  it('reopens a file with its content, in WAL mode', async () => {
    const path = tempPath();
    const store = SqliteStore.open({ path, ...opts });
    await store.apply(change('a.txt', [chunk('a.txt', 'a1', ['lora'])]));
    await store.close();
    const again = SqliteStore.open({ path, ...opts });
    expect(await again.info()).toEqual({ schemaVersion: SCHEMA_VERSION, ...opts, chunkCount: 1, fileCount: 1 });
    expect((await again.keywordSearch(['lora'], 5)).map((h) => h.id)).toEqual(['a1']);
    await again.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('term statistics follow the index: writes by this connection and commits by another (an ingest beside a server)', async () => {
    const path = tempPath();
    const writer = SqliteStore.open({ path, ...opts });
    await writer.apply(change('a.txt', [chunk('a.txt', 'a1', ['lora', 'rank'])]));
    const reader = SqliteStore.open({ path, ...opts, readonly: true });
    const df = async (s: SqliteStore) => {
      const t = await s.termStatistics!(['lora', 'rank', 'qlora']);
      return { docCount: t.docCount, df: Object.fromEntries(t.df) };
    };
    expect(await df(reader)).toEqual({ docCount: 1, df: { lora: 1, rank: 1 } });
    expect(await df(writer)).toEqual({ docCount: 1, df: { lora: 1, rank: 1 } });
    await writer.apply(change('b.txt', [chunk('b.txt', 'b1', ['lora', 'qlora']), chunk('b.txt', 'b2', ['qlora'])]));
    // The writer cached before its own write; the reader learns of the commit from data_version.
    expect(await df(writer)).toEqual({ docCount: 3, df: { lora: 2, rank: 1, qlora: 2 } });
    expect(await df(reader)).toEqual({ docCount: 3, df: { lora: 2, rank: 1, qlora: 2 } });
    await writer.apply({ upsert: [], remove: ['a.txt'] });
    expect(await df(reader)).toEqual({ docCount: 2, df: { lora: 1, qlora: 2 } });
    await reader.close();
    await writer.close();
  });

  it('creates missing directories', async () => {
    const path = join(dir, 'nested', 'deeper', 'index.sqlite');
    const store = SqliteStore.open({ path, ...opts });
    await store.close();
    expect(existsSync(path)).toBe(true);
  });

  it('refuses an index built with another embedder, naming both and the rebuild command', async () => {
    const path = tempPath();
    await SqliteStore.open({ path, ...opts }).close();
    let error: unknown;
    try {
      SqliteStore.open({ path, embedderId: 'text-embedding-3-small', dimensions: 4 });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(IndexMismatchError);
    const message = (error as Error).message;
    expect(message).toContain('"minilm-l6@q8"');
    expect(message).toContain('"text-embedding-3-small"');
    expect(message).toContain(path);
    expect(message).toContain('npx qbank ingest --rebuild');
    expect(error).toMatchObject({
      code: 'index_mismatch',
      found: { embedderId: 'minilm-l6@q8', dimensions: 4, schemaVersion: SCHEMA_VERSION },
      expected: { embedderId: 'text-embedding-3-small', dimensions: 4, schemaVersion: SCHEMA_VERSION },
    });
  });

  it('refuses other dimensions and another schema version', async () => {
    const path = tempPath();
    await SqliteStore.open({ path, ...opts }).close();
    expect(() => SqliteStore.open({ path, ...opts, dimensions: 8 })).toThrow(IndexMismatchError);
    const raw = new Database(path);
    raw.prepare(`UPDATE meta SET value = ? WHERE key = 'schema_version'`).run(String(SCHEMA_VERSION + 1));
    raw.close();
    expect(() => SqliteStore.open({ path, ...opts })).toThrow(/schema 2.*schema 1/);
  });

  it('reports a file that is not SQLite as unavailable', () => {
    const path = tempPath();
    writeFileSync(path, randomBytes(8192));
    expect(() => SqliteStore.open({ path, ...opts })).toThrow(IndexUnavailableError);
    expect(() => SqliteStore.open({ path, ...opts, readonly: true })).toThrow(/cannot be used: it is not a SQLite database or it is corrupt/);
  });

  it('reports a truncated index as unavailable, at open or at the first search', async () => {
    const path = tempPath();
    const store = SqliteStore.open({ path, ...opts });
    const many = Array.from({ length: 400 }, (_, i) => chunk('a.txt', `a${i}`, ['lora', `t${i}`], vec(1, i, 0, 0)));
    await store.apply(change('a.txt', many));
    await store.close();
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 3)));
    const attempt = async () => {
      const s = SqliteStore.open({ path, ...opts, readonly: true });
      try {
        await s.keywordSearch(['lora'], 500);
        await s.vectorSearch(vec(0, 1, 0, 0), 500);
        await s.chunksOfFile('a.txt');
      } finally {
        await s.close();
      }
    };
    await expect(attempt()).rejects.toThrow(IndexUnavailableError);
  });

  it('refuses a SQLite database that is not a qbank index', () => {
    const path = tempPath();
    const raw = new Database(path);
    raw.exec('CREATE TABLE notes (body TEXT)');
    raw.close();
    expect(() => SqliteStore.open({ path, ...opts })).toThrow(/not a qbank index/);
  });

  it('opens read-only only an existing index, and refuses changes through it', async () => {
    expect(() => SqliteStore.open({ path: tempPath(), ...opts, readonly: true })).toThrow(IndexUnavailableError);
    const path = tempPath();
    await SqliteStore.open({ path, ...opts }).close();
    const reader = SqliteStore.open({ path, ...opts, readonly: true });
    await expect(reader.apply(change('a.txt', []))).rejects.toMatchObject({ code: 'index_read_only' });
    await reader.close();
  });

  it('shows a reader on another connection the old index until an apply commits', async () => {
    const path = tempPath();
    const writer = SqliteStore.open({ path, ...opts });
    await writer.apply({
      upsert: [
        { file: { file: 'a.txt', hash: 'a1', chunkCount: 2 }, chunks: [chunk('a.txt', 'old-1', ['v1']), chunk('a.txt', 'old-2', ['v1'])] },
        { file: { file: 'b.txt', hash: 'b1', chunkCount: 1 }, chunks: [chunk('b.txt', 'old-b', ['v1'])] },
      ],
      remove: [],
    });
    const reader = SqliteStore.open({ path, ...opts, readonly: true });
    // Every read starts before the first await, so all of them run at the moment of the call.
    const snapshot = async () => {
      const ids = (hits: Promise<{ id: string }[]>) => hits.then((hs) => hs.map((h) => h.id).sort());
      const [info, files, v1, v2, near] = await Promise.all([
        reader.info(),
        reader.listFiles(),
        ids(reader.keywordSearch(['v1'], 10)),
        ids(reader.keywordSearch(['v2'], 10)),
        ids(reader.vectorSearch(vec(1, 0, 0, 0), 10)),
      ]);
      return { info, files, v1, v2, near };
    };
    const before = await snapshot();

    // The store works synchronously under its promises, so reads started from inside the apply
    // (here: when it reads the last chunk's vector) run while its transaction is open.
    const during: Promise<Awaited<ReturnType<typeof snapshot>>>[] = [];
    const last = chunk('b.txt', 'new-b', ['v2']);
    Object.defineProperty(last, 'vector', {
      get: () => {
        during.push(snapshot());
        return vec(1, 0, 0, 0);
      },
    });
    await writer.apply({
      upsert: [
        { file: { file: 'a.txt', hash: 'a2', chunkCount: 1 }, chunks: [chunk('a.txt', 'new-a', ['v2'])] },
        { file: { file: 'b.txt', hash: 'b2', chunkCount: 1 }, chunks: [last] },
      ],
      remove: [],
    });
    expect(during.length).toBeGreaterThan(0);
    for (const seen of await Promise.all(during)) expect(seen).toStrictEqual(before);

    const after = await snapshot();
    expect(after.v1).toEqual([]);
    expect(after.v2).toEqual(['new-a', 'new-b']);
    expect(after.info.chunkCount).toBe(2);
    await reader.close();
    await writer.close();
  });

  it('ranks exactly beyond the KNN limit of vec0 (k > 4096)', async () => {
    const store = SqliteStore.open({ path: ':memory:', ...opts });
    const n = 4200;
    const chunks = Array.from({ length: n }, (_, i) =>
      chunk(i % 2 === 0 ? 'even.txt' : 'odd.txt', `c${i}`, ['t'], vec(Math.cos(i), Math.sin(i), (i % 7) / 7, 1)),
    );
    await store.apply({
      upsert: ['even.txt', 'odd.txt'].map((file) => {
        const cs = chunks.filter((c) => c.file === file);
        return { file: { file, hash: file, chunkCount: cs.length }, chunks: cs };
      }),
      remove: [],
    });
    const q = vec(0.3, -0.2, 0.5, 0.1);
    const all = await store.vectorSearch(q, 5000);
    expect(all).toHaveLength(n);
    const knn = await store.vectorSearch(q, 4096);
    expect(knn.map((h) => h.id)).toEqual(all.slice(0, 4096).map((h) => h.id));
    knn.forEach((h, i) => expect(h.score).toBeCloseTo(all[i]?.score ?? Number.NaN, 6));
    const odd = await store.vectorSearch(q, 5000, { file: ['odd.txt'] });
    expect(odd.map((h) => h.id)).toEqual(all.filter((h) => Number(h.id.slice(1)) % 2 === 1).map((h) => h.id));
    await store.close();
  });
});
