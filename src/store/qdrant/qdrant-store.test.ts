import { QdrantClient } from '@qdrant/js-client-rest';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IndexMismatchError, IndexUnavailableError } from '../../errors.js';
import type { StoredChunk } from '../../ports/chunk.js';
import type { IndexChange } from '../../ports/store.js';
import { bm25Reference } from '../bm25-reference.js';
import { runStoreContract } from '../contract.js';
import { expectRanking } from '../expect-ranking.js';
import { qdrantUnavailableReason, startQdrant, type QdrantServer } from '../../../test/support/qdrant-server.js';
import { pointId } from './point-id.js';
import { QDRANT_SCHEMA_VERSION, QdrantStore, type QdrantStoreOptions } from './qdrant-store.js';

const skip = qdrantUnavailableReason();
if (skip !== undefined) console.warn(skip);

describe.skipIf(skip !== undefined)('QdrantStore against a real Qdrant', () => {
  let server: QdrantServer;
  let admin: QdrantClient;
  let n = 0;
  beforeAll(async () => {
    server = await startQdrant();
    admin = new QdrantClient({ url: server.url, checkCompatibility: false });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const base = (collection: string): Omit<QdrantStoreOptions, 'embedderId' | 'dimensions'> => ({ url: server.url, collection, shardNumber: 1, replicationFactor: 1 });

  /** Drops a collection and its alias, so hundreds of property runs do not pile up on the server. */
  async function drop(name: string): Promise<void> {
    const { aliases } = await admin.getAliases();
    const target = aliases.find((a) => a.alias_name === name)?.collection_name;
    await admin.deleteCollection(target ?? name).catch(() => undefined);
  }

  runStoreContract(
    'qdrant',
    async (o) => {
      const name = `contract_${++n}`;
      const store = await QdrantStore.connect({ ...base(name), ...o });
      const close = store.close.bind(store);
      store.close = async () => {
        await close();
        await drop(name);
      };
      return store;
    },
    { numRuns: 12 },
  );

  describe('collection', () => {
    const opts = { embedderId: 'minilm-l6@q8', dimensions: 4 };
    const vec = (...xs: number[]) => Float32Array.from(xs);
    const chunk = (file: string, id: string, terms: string[], vector = vec(1, 0, 0, 0)): StoredChunk => ({
      id, file, start: 0, end: 1, text: id, embedText: id, section: ['S'], lang: 'en', kind: 'qa', footnotes: [], terms, vector,
    });
    const change = (file: string, chunks: StoredChunk[]): IndexChange => ({
      upsert: [{ file: { file, hash: `h-${chunks.map((c) => c.id).join()}`, chunkCount: chunks.length }, chunks }],
      remove: [],
    });

    it('creates the name as an alias of a physical collection, with its embedder in the metadata', async () => {
      const store = await QdrantStore.connect({ ...base('layout'), ...opts });
      const { aliases } = await admin.getAliases();
      const target = aliases.find((a) => a.alias_name === 'layout')?.collection_name;
      expect(target).toBe('layout_0');
      const info = await admin.getCollection(target as string);
      expect((info.config as { metadata?: unknown }).metadata).toEqual({ qbank: { schemaVersion: QDRANT_SCHEMA_VERSION, ...opts } });
      expect(info.config.params.vectors).toEqual({ dense: { size: 4, distance: 'Cosine' } });
      expect(info.config.params.sparse_vectors).toEqual({ bm25: { modifier: 'none' } });
      expect(Object.keys(info.payload_schema).sort()).toEqual(['difficulty_lc', 'doc', 'file', 'lang']);
      await store.apply(change('a.txt', [chunk('a.txt', 'a1', ['x'])]));
      const [point] = await admin.retrieve('layout', { ids: [pointId('chunk', 'a1')], with_payload: ['id'] });
      expect(point?.payload).toEqual({ id: 'a1' });
      // A second process finds the same collection instead of creating one.
      const again = await QdrantStore.connect({ ...base('layout'), ...opts });
      expect(await again.info()).toMatchObject({ chunkCount: 1, fileCount: 1 });
      await Promise.all([store.close(), again.close()]);
      await drop('layout');
    });

    it('creates one collection when several processes start at once', async () => {
      const stores = await Promise.all(Array.from({ length: 4 }, () => QdrantStore.connect({ ...base('race'), ...opts })));
      const { collections } = await admin.getCollections();
      expect(collections.map((c) => c.name).filter((n) => n.startsWith('race'))).toEqual(['race_0']);
      expect((await admin.getAliases()).aliases.filter((a) => a.alias_name === 'race')).toEqual([{ alias_name: 'race', collection_name: 'race_0' }]);
      await stores[0]?.apply(change('a.txt', [chunk('a.txt', 'a1', ['x'])]));
      for (const s of stores) expect((await s.keywordSearch(['x'], 5)).map((h) => h.id)).toEqual(['a1']);
      await Promise.all(stores.map((s) => s.close()));
      await drop('race');
    });

    it('refuses a collection built with another embedder, naming both sides', async () => {
      await (await QdrantStore.connect({ ...base('mismatch'), ...opts })).close();
      const error = await QdrantStore.connect({ ...base('mismatch'), embedderId: 'text-embedding-3-small', dimensions: 4 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IndexMismatchError);
      expect(error).toMatchObject({
        code: 'index_mismatch',
        found: { embedderId: 'minilm-l6@q8', dimensions: 4, schemaVersion: QDRANT_SCHEMA_VERSION },
        expected: { embedderId: 'text-embedding-3-small', dimensions: 4, schemaVersion: QDRANT_SCHEMA_VERSION },
      });
      expect((error as Error).message).toMatch(/"minilm-l6@q8".*"text-embedding-3-small".*npx qbank ingest --rebuild/s);
      expect((error as Error).message).toContain('collection "mismatch"');
      await expect(QdrantStore.connect({ ...base('mismatch'), embedderId: 'minilm-l6@q8', dimensions: 8 })).rejects.toThrow(IndexMismatchError);
      // recreate starts over with the new embedder.
      const fresh = await QdrantStore.connect({ ...base('mismatch'), embedderId: 'other', dimensions: 8, recreate: true });
      expect(await fresh.info()).toMatchObject({ embedderId: 'other', dimensions: 8, chunkCount: 0 });
      await fresh.close();
      await drop('mismatch');
    });

    it('opens read-only only an existing collection', async () => {
      await expect(QdrantStore.connect({ ...base('absent'), ...opts, readonly: true })).rejects.toThrow(/does not exist yet; build it with: npx qbank ingest/);
      expect((await admin.getAliases()).aliases.some((a) => a.alias_name === 'absent')).toBe(false);
    });

    it('refuses a collection that is not a qbank index, and an unreachable server', async () => {
      await admin.createCollection('foreign', { vectors: { size: 4, distance: 'Cosine' } });
      await expect(QdrantStore.connect({ ...base('foreign'), ...opts })).rejects.toThrow(/not a qbank index/);
      await drop('foreign');
      const error = await QdrantStore.connect({ ...base('x'), url: 'http://127.0.0.1:9', ...opts, timeoutMs: 2000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IndexUnavailableError);
      expect((error as Error).message).toMatch(/Qdrant cannot be reached/);
    });

    it('rebuilds into a new collection and swaps it in atomically; an unpublished rebuild is dropped', async () => {
      const live = await QdrantStore.connect({ ...base('swap'), ...opts });
      await live.apply(change('a.txt', [chunk('a.txt', 'old', ['v1'])]));
      const reader = await QdrantStore.connect({ ...base('swap'), ...opts, readonly: true });
      await expect(reader.apply(change('a.txt', []))).rejects.toMatchObject({ code: 'index_read_only' });

      const abandoned = await QdrantStore.connect({ ...base('swap'), ...opts, rebuild: true });
      await abandoned.apply(change('a.txt', [chunk('a.txt', 'never', ['v2'])]));
      await abandoned.close();
      expect((await admin.collectionExists(abandoned.collection)).exists).toBe(false);

      const rebuild = await QdrantStore.connect({ ...base('swap'), ...opts, rebuild: true });
      await rebuild.apply(change('b.txt', [chunk('b.txt', 'new', ['v2'])]));
      // Until published, readers see the old index.
      expect((await reader.keywordSearch(['v1', 'v2'], 10)).map((h) => h.id)).toEqual(['old']);
      const { aliases } = await admin.getAliases();
      const previous = aliases.find((a) => a.alias_name === 'swap')?.collection_name as string;
      await rebuild.publish();
      await rebuild.close();
      // The reader reuses the statistics it read (v2 in no chunk) for up to a second.
      await new Promise((r) => setTimeout(r, 1100));
      expect((await reader.keywordSearch(['v1', 'v2'], 10)).map((h) => h.id)).toEqual(['new']);
      expect(await reader.listFiles()).toEqual([{ file: 'b.txt', hash: 'h-new', chunkCount: 1 }]);
      expect((await admin.collectionExists(previous)).exists).toBe(false);
      await Promise.all([live.close(), reader.close()]);
      await drop('swap');
    });

    it('scores exactly after changes that move the average length a lot', async () => {
      const vocab = ['a', 'b', 'c', 'd'];
      const doc = fc.array(fc.constantFrom(...vocab), { minLength: 0, maxLength: 40 });
      const step = fc.record({ file: fc.constantFrom('f0', 'f1', 'f2', 'f3'), docs: fc.array(doc, { maxLength: 6 }), remove: fc.boolean() });
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 5 }), fc.array(fc.constantFrom(...vocab), { minLength: 1, maxLength: 3 }), async (steps, query) => {
          const name = `drift_${++n}`;
          const store = await QdrantStore.connect({ ...base(name), ...opts });
          const state = new Map<string, StoredChunk[]>();
          try {
            let version = 0;
            for (const s of steps) {
              version++;
              if (s.remove) {
                await store.apply({ upsert: [], remove: [s.file] });
                state.delete(s.file);
              } else {
                const chunks = s.docs.map((terms, i) => chunk(s.file, `${s.file}-v${version}-${i}`, terms));
                await store.apply(change(s.file, chunks));
                state.set(s.file, chunks);
              }
            }
            const all = [...state.values()].flat();
            for (const limit of [1, 3, 100]) expectRanking(await store.keywordSearch(query, limit), bm25Reference(all, query), limit, 1e-9);
          } finally {
            await store.close();
            await drop(name);
          }
        }),
        { numRuns: 8 },
      );
    }, 180_000);

    it('stops at the first candidate round when the k-th score ties with the rest', async () => {
      const store = await QdrantStore.connect({ ...base('ties'), ...opts });
      const chunks = Array.from({ length: 3000 }, (_, i) => chunk(`f${i % 30}.txt`, `c${i}`, ['x', 'pad', 'pad']));
      const byFile = new Map<string, StoredChunk[]>();
      for (const c of chunks) byFile.set(c.file, [...(byFile.get(c.file) ?? []), c]);
      await store.apply({ upsert: [...byFile].map(([file, cs]) => ({ file: { file, hash: 'h', chunkCount: cs.length }, chunks: cs })), remove: [] });
      const before = store.counters.candidateRounds;
      const hits = await store.keywordSearch(['x'], 10);
      expect(store.counters.candidateRounds - before).toBe(1);
      expectRanking(hits, bm25Reference(chunks, ['x']), 10, 1e-9);
      await store.close();
      await drop('ties');
    });

    it("shows another connection's changes within a second, and its own at once", async () => {
      const writer = await QdrantStore.connect({ ...base('stale'), ...opts });
      const reader = await QdrantStore.connect({ ...base('stale'), ...opts, readonly: true });
      await writer.apply(change('a.txt', [chunk('a.txt', 'a1', ['x'])]));
      expect((await reader.termStatistics(['x', 'z'])).df).toStrictEqual(new Map([['x', 1]]));
      await writer.apply(change('b.txt', [chunk('b.txt', 'b1', ['x', 'z'])]));
      // The reader may reuse what it read (z in no chunk) for up to a second; the writer's own change shows at once.
      expect((await writer.keywordSearch(['z'], 10)).map((h) => h.id)).toEqual(['b1']);
      await new Promise((r) => setTimeout(r, 1100));
      expect(await reader.termStatistics(['x', 'z'])).toStrictEqual({ docCount: 2, df: new Map([['x', 2], ['z', 1]]) });
      expect((await reader.keywordSearch(['z'], 10)).map((h) => h.id)).toEqual(['b1']);
      await Promise.all([writer.close(), reader.close()]);
      await drop('stale');
    });

    it("sends the searcher's side-by-side searches and lookups as one request each, with the same answers as one by one", async () => {
      const store = await QdrantStore.connect({ ...base('batch'), ...opts });
      const apart = await QdrantStore.connect({ ...base('batch'), ...opts, readonly: true, batchReads: false });
      const chunks = [chunk('a.txt', 'a1', ['x', 'y'], vec(1, 0, 0, 0)), chunk('a.txt', 'a2', ['x'], vec(0, 1, 0, 0)), chunk('a.txt', 'a3', ['y', 'y'], vec(0.6, 0.8, 0, 0))];
      await store.apply(change('a.txt', chunks));
      const search = (s: QdrantStore) => Promise.all([s.keywordSearch(['x', 'y', 'nowhere'], 2), s.vectorSearch(vec(1, 0, 0, 0), 2)]);
      const lookup = (s: QdrantStore) => Promise.all([s.getChunks(['a3', 'a1', 'gone']), s.getVectors(['a1', 'a3', 'gone'])]);
      await store.termStatistics(['x', 'y', 'nowhere']);
      await apart.termStatistics(['x', 'y', 'nowhere']);
      let before = store.counters.readRequests;
      const together = await search(store);
      expect(store.counters.readRequests - before).toBe(1);
      before = apart.counters.readRequests;
      expect(await search(apart)).toEqual(together);
      expect(apart.counters.readRequests - before).toBe(2);
      before = store.counters.readRequests;
      const [got, vectors] = await lookup(store);
      expect(store.counters.readRequests - before).toBe(1);
      expect(got.map((c) => c.id)).toEqual(['a3', 'a1']);
      expect([...vectors]).toEqual([['a1', vec(1, 0, 0, 0)], ['a3', vec(0.6, 0.8, 0, 0)]]);
      expect(await lookup(apart)).toEqual([got, vectors]);
      await Promise.all([store.close(), apart.close()]);
      await drop('batch');
    });

    it("serves a search's lookups again without a request while its statistics are current, and no longer after a change (its own at once, another connection's within a second)", async () => {
      const writer = await QdrantStore.connect({ ...base('bodies'), ...opts });
      const reader = await QdrantStore.connect({ ...base('bodies'), ...opts, readonly: true });
      await writer.apply(change('a.txt', [chunk('a.txt', 'a1', ['x']), chunk('a.txt', 'a2', ['x'], vec(0, 1, 0, 0))]));
      const lookup = (s: QdrantStore) => Promise.all([s.getChunks(['a2', 'a1']), s.getVectors(['a1', 'a2'])]);
      const requests = async (s: QdrantStore, fn: () => Promise<unknown>) => {
        const before = s.counters.readRequests;
        await fn();
        return s.counters.readRequests - before;
      };
      for (const s of [writer, reader]) {
        await s.termStatistics(['x']);
        const first = await lookup(s);
        expect(await requests(s, () => lookup(s))).toBe(0);
        expect(await lookup(s)).toEqual(first);
      }
      // Only the ids not cached are read.
      expect(await requests(reader, async () => expect((await reader.getChunks(['a1', 'gone'])).map((c) => c.id)).toEqual(['a1']))).toBe(1);

      await writer.apply(change('a.txt', [{ ...chunk('a.txt', 'a1', ['x']), text: 'edited' }, chunk('a.txt', 'a2', ['x'], vec(0, 0, 1, 0))]));
      await writer.termStatistics(['x']);
      expect((await writer.getChunks(['a1']))[0]?.text).toBe('edited');
      expect((await writer.getVectors(['a2'])).get('a2')).toEqual(vec(0, 0, 1, 0));
      await new Promise((r) => setTimeout(r, 1100));
      await reader.termStatistics(['x']);
      expect((await reader.getChunks(['a1']))[0]?.text).toBe('edited');
      expect((await reader.getVectors(['a2'])).get('a2')).toEqual(vec(0, 0, 1, 0));

      // Without statistics seen current, nothing is served from memory; with bodyCacheSize 0, never.
      const off = await QdrantStore.connect({ ...base('bodies'), ...opts, readonly: true, bodyCacheSize: 0 });
      await off.termStatistics(['x']);
      await lookup(off);
      expect(await requests(off, () => lookup(off))).toBe(1);
      await new Promise((r) => setTimeout(r, 1100));
      expect(await requests(reader, () => lookup(reader))).toBe(1);
      await Promise.all([writer.close(), reader.close(), off.close()]);
      await drop('bodies');
    });

    it('starts a rebuilt collection at another statistics version, so readers drop what they hold of the replaced one', async () => {
      const first = await QdrantStore.connect({ ...base('swap'), ...opts, rebuild: true });
      await first.apply(change('a.txt', [chunk('a.txt', 'a1', ['x'])]));
      await first.publish();
      await first.close();
      const reader = await QdrantStore.connect({ ...base('swap'), ...opts, readonly: true });
      expect(await reader.termStatistics(['x', 'y'])).toStrictEqual({ docCount: 1, df: new Map([['x', 1]]) });
      expect((await reader.getChunks(['a1']))[0]?.text).toBe('a1');
      // The same number of changes as the first collection had: the same version, had both started at 0.
      const second = await QdrantStore.connect({ ...base('swap'), ...opts, rebuild: true });
      await second.apply(change('a.txt', [{ ...chunk('a.txt', 'a1', ['y']), text: 'rebuilt' }]));
      await second.publish();
      await second.close();
      await new Promise((r) => setTimeout(r, 1100));
      // Read, then served from memory (as the searcher's keyword search is, right after it).
      for (let i = 0; i < 2; i++) expect(await reader.termStatistics(['x', 'y'])).toStrictEqual({ docCount: 1, df: new Map([['y', 1]]) });
      expect((await reader.getChunks(['a1']))[0]?.text).toBe('rebuilt');
      await reader.close();
      await drop('swap');
    });

    it('reads the whole term table once, then serves any term without a request, and sees another connection\'s change within a second', async () => {
      const writer = await QdrantStore.connect({ ...base('table'), ...opts });
      const reader = await QdrantStore.connect({ ...base('table'), ...opts, readonly: true });
      await writer.apply(change('a.txt', [chunk('a.txt', 'a1', ['x', 'y']), chunk('a.txt', 'a2', ['x'])]));
      // The first read starts loading the table in the background; wait until a new term costs nothing.
      let n = 0;
      for (;;) {
        const before = reader.counters.readRequests;
        const stats = await reader.termStatistics(['x', `new${n++}`]);
        expect(stats.df).toStrictEqual(new Map([['x', 2]]));
        if (reader.counters.readRequests === before) break;
        expect(n).toBeLessThan(100);
        await new Promise((r) => setTimeout(r, 20));
      }
      const before = reader.counters.readRequests;
      expect(await reader.termStatistics(['y', 'never', 'x'])).toStrictEqual({ docCount: 2, df: new Map([['y', 1], ['x', 2]]) });
      expect(reader.counters.readRequests).toBe(before);
      await writer.apply(change('b.txt', [chunk('b.txt', 'b1', ['never', 'x'])]));
      await new Promise((r) => setTimeout(r, 1100));
      expect(await reader.termStatistics(['never', 'x'])).toStrictEqual({ docCount: 3, df: new Map([['never', 1], ['x', 3]]) });
      expectRanking(await reader.keywordSearch(['never', 'y'], 5), bm25Reference([chunk('a.txt', 'a1', ['x', 'y']), chunk('a.txt', 'a2', ['x']), chunk('b.txt', 'b1', ['never', 'x'])], ['never', 'y']), 5, 1e-9);
      await Promise.all([writer.close(), reader.close()]);
      await drop('table');
    });

    it('recomputes its BM25 statistics after an interrupted change', async () => {
      const store = await QdrantStore.connect({ ...base('dirty'), ...opts });
      const chunks = [chunk('a.txt', 'a1', ['x', 'y']), chunk('a.txt', 'a2', ['x']), chunk('a.txt', 'a3', ['z', 'z', 'z'])];
      await store.apply(change('a.txt', chunks));
      // What a writer killed midway leaves: statistics marked dirty and wrong, a stray term count.
      await admin.upsert('dirty', { wait: true, points: [
        { id: pointId('stats', 'bm25'), vector: {}, payload: { doc: 'stats', docCount: 99, totalLength: 1, minAvgdl: 1, maxAvgdl: 1, dirty: true } },
        { id: pointId('term', 'ghost'), vector: {}, payload: { doc: 'term', term: 'ghost', df: 7 } },
      ] });
      await store.apply({ upsert: [], remove: [] });
      expectRanking(await store.keywordSearch(['x', 'z'], 10), bm25Reference(chunks, ['x', 'z']), 10, 1e-9);
      expect((await admin.retrieve('dirty', { ids: [pointId('term', 'ghost')] })).length).toBe(0);
      await store.close();
      await drop('dirty');
    });
  });
});
