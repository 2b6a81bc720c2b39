import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Chunk, FileRecord, StoredChunk } from '../ports/chunk.js';
import type { IndexChange, SearchFilter, Store } from '../ports/store.js';
import { bm25Reference } from './bm25-reference.js';
import { expectRanking } from './expect-ranking.js';

/**
 * Tuning of the shared suite for slow backends.
 *
 * @example
 * runStoreContract('qdrant', makeQdrantStore, { numRuns: 10 });
 */
export interface StoreContractOptions {
  /** Runs per property test; each run builds a fresh store. Default 40. */
  numRuns?: number;
}

/** Makes a new, empty store for one test; the suite closes it. */
export type MakeStore = (opts: { embedderId: string; dimensions: number }) => Promise<Store>;

const EMBEDDER = 'contract-embedder@1';
const DIMS = 8;
/** vec0 and most vector databases compute distances in float32. */
const VECTOR_TOLERANCE = 1e-5;
const BM25_TOLERANCE = 1e-9;

/**
 * The behaviour every `Store` must have, as vitest suites. Each implementation's test file is a
 * few lines: `runStoreContract('sqlite (memory)', async (o) => SqliteStore.open({ path: ':memory:', ...o }))`.
 * Only what the `Store` interface shows is tested, so any backend can pass.
 *
 * Keyword scores must equal `bm25Reference` (FTS5's BM25, k1 = 1.2, b = 0.75, statistics over
 * the whole index) and terms are opaque: they match exactly, whatever characters they hold.
 */
export function runStoreContract(name: string, makeStore: MakeStore, options: StoreContractOptions = {}): void {
  const numRuns = options.numRuns ?? 40;

  describe(`Store contract: ${name}`, () => {
    const opened: Store[] = [];
    async function fresh(): Promise<Store> {
      const store = await makeStore({ embedderId: EMBEDDER, dimensions: DIMS });
      opened.push(store);
      return store;
    }
    /** For property runs: a store closed as soon as the run ends. */
    async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
      const store = await makeStore({ embedderId: EMBEDDER, dimensions: DIMS });
      try {
        return await fn(store);
      } finally {
        await store.close();
      }
    }
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    describe('an empty index', () => {
      it('reports its embedder and no content', async () => {
        const store = await fresh();
        const info = await store.info();
        expect(info).toMatchObject({ embedderId: EMBEDDER, dimensions: DIMS, chunkCount: 0, fileCount: 0 });
        expect(Number.isInteger(info.schemaVersion) && info.schemaVersion > 0).toBe(true);
        expect(typeof store.kind).toBe('string');
      });

      it('finds nothing', async () => {
        const store = await fresh();
        expect(await store.listFiles()).toEqual([]);
        expect(await store.getChunks(['x'])).toEqual([]);
        expect(await store.chunksOfFile('a.txt')).toEqual([]);
        expect((await store.getVectors(['x'])).size).toBe(0);
        expect(await store.keywordSearch(['x'], 10)).toEqual([]);
        expect(await store.vectorSearch(unitVector(1), 10)).toEqual([]);
      });
    });

    describe('apply and read back', () => {
      it('round-trips every chunk field, keeping absent optional fields absent', async () => {
        const store = await fresh();
        const full = chunk('docs/a.txt', 'full', {
          start: 10,
          end: 120,
          text: 'Attention — “MQA” vs GQA: naïve façade, 日本語, עברית, 🚀👩‍🔬, e\u0301, "quotes" \\ back\nnew line\ttab',
          embedText: 'Q9. What are MQA and GQA?\nArchitecture › Attention ⚡\nAttention — “MQA”…',
          title: 'Q9. What are Multi-Query Attention (MQA) and Grouped-Query Attention (GQA)?',
          section: ['Architecture and Training (All Levels)', 'Attention ⚡'],
          questionNumber: 9,
          difficulty: 'Hard',
          roles: ['ML Engineer', 'Researcher'],
          lang: 'en',
          kind: 'qa',
          footnotes: [
            { id: '1', url: 'https://example.com/a?b=c&d=é#frag', title: 'Paper “X”' },
            { id: 'fn-2', url: 'https://example.org/' },
          ],
          followUps: ['Why does GQA save memory?', 'When would you pick MQA?'],
          part: { index: 1, count: 3 },
        });
        const minimal = chunk('docs/a.txt', 'minimal', { start: 200, end: 210, section: [], footnotes: [], kind: 'record', lang: 'de' });
        // Present but falsy values must survive as values, not turn into absence.
        const falsy = chunk('docs/a.txt', 'falsy', {
          start: 300,
          end: 300,
          text: '',
          embedText: '',
          title: '',
          questionNumber: 0,
          difficulty: '',
          roles: [],
          followUps: [],
          part: { index: 0, count: 1 },
          kind: 'question-list',
        });
        const sectionKind = chunk('docs/a.txt', 'section', { start: 400, end: 500, kind: 'section' });
        await store.apply(upsert('docs/a.txt', [full, minimal, falsy, sectionKind]));

        const got = await store.getChunks(['full', 'minimal', 'falsy', 'section']);
        expect(got).toStrictEqual([asChunk(full), asChunk(minimal), asChunk(falsy), asChunk(sectionKind)]);
        const gotMinimal = got[1];
        for (const key of ['title', 'questionNumber', 'difficulty', 'roles', 'followUps', 'part']) {
          expect(gotMinimal !== undefined && key in gotMinimal, `absent ${key} came back as a key`).toBe(false);
        }
        for (const c of got) {
          expect('terms' in c || 'vector' in c).toBe(false);
        }
      });

      it('returns chunks in the order asked and leaves unknown ids out', async () => {
        const store = await fresh();
        await store.apply(upsert('a.txt', [chunk('a.txt', 'a1'), chunk('a.txt', 'a2'), chunk('a.txt', 'a3')]));
        const got = await store.getChunks(['a3', 'nope', 'a1']);
        expect(got.map((c) => c.id)).toEqual(['a3', 'a1']);
        expect(await store.getChunks([])).toEqual([]);
      });

      it('lists a file in document order', async () => {
        const store = await fresh();
        await store.apply({
          upsert: [
            { file: fileRecord('a.txt', 3), chunks: [chunk('a.txt', 'late', { start: 300, end: 400 }), chunk('a.txt', 'early', { start: 0, end: 100 }), chunk('a.txt', 'mid', { start: 150, end: 300 })] },
            { file: fileRecord('b.txt', 1), chunks: [chunk('b.txt', 'other', { start: 50, end: 60 })] },
          ],
          remove: [],
        });
        expect((await store.chunksOfFile('a.txt')).map((c) => c.id)).toEqual(['early', 'mid', 'late']);
        expect((await store.chunksOfFile('b.txt')).map((c) => c.id)).toEqual(['other']);
        expect(await store.chunksOfFile('c.txt')).toEqual([]);
      });

      it('records files and counts', async () => {
        const store = await fresh();
        const a = fileRecord('a.txt', 2, 'hash-a');
        const b = fileRecord('sub/b.txt', 1, 'hash-b');
        const empty = fileRecord('empty.txt', 0, 'hash-e');
        await store.apply({
          upsert: [
            { file: a, chunks: [chunk('a.txt', 'a1'), chunk('a.txt', 'a2')] },
            { file: b, chunks: [chunk('sub/b.txt', 'b1')] },
            { file: empty, chunks: [] },
          ],
          remove: [],
        });
        expect(sortFiles(await store.listFiles())).toStrictEqual(sortFiles([a, b, empty]));
        expect(await store.info()).toMatchObject({ chunkCount: 3, fileCount: 3 });
      });
    });

    describe('changes', () => {
      async function seeded(): Promise<Store> {
        const store = await fresh();
        await store.apply({
          upsert: [
            { file: fileRecord('a.txt', 2, 'a-v1'), chunks: [chunk('a.txt', 'a1', { terms: ['alpha'] }), chunk('a.txt', 'a2', { terms: ['alpha', 'beta'] })] },
            { file: fileRecord('b.txt', 1, 'b-v1'), chunks: [chunk('b.txt', 'b1', { terms: ['alpha'] })] },
          ],
          remove: [],
        });
        return store;
      }

      it('replaces exactly the chunks of an upserted file', async () => {
        const store = await seeded();
        await store.apply(upsert('a.txt', [chunk('a.txt', 'a3', { terms: ['alpha', 'gamma'] })], 'a-v2'));
        expect((await store.getChunks(['a1', 'a2', 'a3', 'b1'])).map((c) => c.id)).toEqual(['a3', 'b1']);
        expect((await store.chunksOfFile('a.txt')).map((c) => c.id)).toEqual(['a3']);
        expect(ids(await store.keywordSearch(['alpha'], 10))).toEqual(['a3', 'b1']);
        expect(await store.keywordSearch(['beta'], 10)).toEqual([]);
        expect(ids(await store.vectorSearch(unitVector(1), 10))).toEqual(['a3', 'b1']);
        expect([...(await store.getVectors(['a1', 'a2', 'a3', 'b1'])).keys()].sort()).toEqual(['a3', 'b1']);
        expect(sortFiles(await store.listFiles())).toStrictEqual([fileRecord('a.txt', 1, 'a-v2'), fileRecord('b.txt', 1, 'b-v1')]);
        expect(await store.info()).toMatchObject({ chunkCount: 2, fileCount: 2 });
      });

      it('accepts a file upserted again with the same chunk ids', async () => {
        const store = await seeded();
        const again = [chunk('a.txt', 'a1', { terms: ['alpha'], text: 'edited' }), chunk('a.txt', 'a2', { terms: ['alpha', 'beta'] })];
        await store.apply(upsert('a.txt', again, 'a-v2'));
        expect((await store.getChunks(['a1']))[0]?.text).toBe('edited');
        expect(await store.info()).toMatchObject({ chunkCount: 3, fileCount: 2 });
        expect(ids(await store.keywordSearch(['alpha'], 10))).toEqual(['a1', 'a2', 'b1']);
      });

      it('removes a file and everything of it', async () => {
        const store = await seeded();
        await store.apply({ upsert: [], remove: ['a.txt', 'never-indexed.txt'] });
        expect(await store.getChunks(['a1', 'a2'])).toEqual([]);
        expect(await store.chunksOfFile('a.txt')).toEqual([]);
        expect(ids(await store.keywordSearch(['alpha', 'beta'], 10))).toEqual(['b1']);
        expect(ids(await store.vectorSearch(unitVector(1), 10))).toEqual(['b1']);
        expect((await store.getVectors(['a1', 'a2'])).size).toBe(0);
        expect(await store.listFiles()).toStrictEqual([fileRecord('b.txt', 1, 'b-v1')]);
        expect(await store.info()).toMatchObject({ chunkCount: 1, fileCount: 1 });
      });

      it('upserts and removes in one change', async () => {
        const store = await seeded();
        await store.apply({ upsert: [{ file: fileRecord('c.txt', 1), chunks: [chunk('c.txt', 'c1')] }], remove: ['b.txt'] });
        expect(sortFiles(await store.listFiles()).map((f) => f.file)).toEqual(['a.txt', 'c.txt']);
        expect((await store.getChunks(['a1', 'b1', 'c1'])).map((c) => c.id)).toEqual(['a1', 'c1']);
      });
    });

    describe('keywordSearch', () => {
      it('ranks more occurrences of rarer terms higher, with positive scores', async () => {
        const store = await fresh();
        const docs = [
          chunk('a.txt', 'two-rare', { terms: ['common', 'rare', 'rare', 'pad'] }),
          chunk('a.txt', 'one-rare', { terms: ['common', 'rare', 'pad', 'pad'] }),
          chunk('a.txt', 'common-only', { terms: ['common', 'common', 'pad', 'pad'] }),
          ...[1, 2, 3, 4, 5].map((i) => chunk('a.txt', `filler-${i}`, { terms: ['common', 'pad', 'pad', 'pad'] })),
        ];
        await store.apply(upsert('a.txt', docs));
        const hits = await store.keywordSearch(['rare', 'common'], 3);
        expect(ids(hits, false)).toEqual(['two-rare', 'one-rare', 'common-only']);
        for (const h of hits) expect(h.score).toBeGreaterThan(0);
        expect(await store.keywordSearch(['rare'], 1)).toHaveLength(1);
      });

      it('ignores unknown terms and returns nothing for no terms', async () => {
        const store = await fresh();
        await store.apply(upsert('a.txt', [chunk('a.txt', 'x', { terms: ['lora', 'rank'] }), chunk('a.txt', 'y', { terms: ['rank'] })]));
        const known = await store.keywordSearch(['lora', 'rank'], 10);
        const mixed = await store.keywordSearch(['zzz-unknown', 'lora', 'rank', 'qqq'], 10);
        expect(ids(mixed, false)).toEqual(ids(known, false));
        mixed.forEach((h, i) => expect(h.score).toBeCloseTo(known[i]?.score ?? Number.NaN, 9));
        expect(await store.keywordSearch(['zzz-unknown'], 10)).toEqual([]);
        expect(await store.keywordSearch([], 10)).toEqual([]);
        expect(await store.keywordSearch([''], 10)).toEqual([]);
        expect(await store.keywordSearch(['lora'], 0)).toEqual([]);
      });

      it('weighs a repeated query term more', async () => {
        const store = await fresh();
        await store.apply(upsert('a.txt', [
          chunk('a.txt', 'p', { terms: ['p', 'pad'] }),
          chunk('a.txt', 'q', { terms: ['q', 'pad'] }),
          chunk('a.txt', 'f1', { terms: ['pad', 'pad'] }),
          chunk('a.txt', 'f2', { terms: ['pad', 'pad'] }),
        ]));
        expect(ids(await store.keywordSearch(['p', 'p', 'q'], 2), false)).toEqual(['p', 'q']);
        expect(ids(await store.keywordSearch(['p', 'q', 'q'], 2), false)).toEqual(['q', 'p']);
      });

      it('matches terms exactly, punctuation and case included', async () => {
        const store = await fresh();
        await store.apply(upsert('a.txt', [
          chunk('a.txt', 'gpt-4', { terms: ['gpt-4', 'model'] }),
          chunk('a.txt', 'gpt 4', { terms: ['gpt', '4', 'model'] }),
          chunk('a.txt', 'GPT-4', { terms: ['GPT-4'] }),
          chunk('a.txt', 'c++', { terms: ['c++'] }),
          chunk('a.txt', 'p99', { terms: ['p99', 'latency'] }),
          chunk('a.txt', 'naïve', { terms: ['naïve', 'bayes'] }),
        ]));
        expect(ids(await store.keywordSearch(['gpt-4'], 10))).toEqual(['gpt-4']);
        expect(ids(await store.keywordSearch(['gpt'], 10))).toEqual(['gpt 4']);
        expect(ids(await store.keywordSearch(['GPT-4'], 10))).toEqual(['GPT-4']);
        expect(ids(await store.keywordSearch(['c++'], 10))).toEqual(['c++']);
        expect(ids(await store.keywordSearch(['c'], 10))).toEqual([]);
        expect(ids(await store.keywordSearch(['p99'], 10))).toEqual(['p99']);
        expect(ids(await store.keywordSearch(['naïve'], 10))).toEqual(['naïve']);
        expect(ids(await store.keywordSearch(['naive'], 10))).toEqual([]);
      });

      it('treats query syntax in terms as plain terms', async () => {
        const hostile = ['"', '""', 'a"b', '*', 'x*', 'NEAR', 'NEAR(a b)', 'AND', 'OR', 'NOT', '-', '-x', ':', 'terms:x', '(', ')', '^', '+', '{a b}', "'", '\\', 'a b', '\t'];
        const store = await fresh();
        await store.apply(upsert('a.txt', [
          chunk('a.txt', 'hostile', { terms: [...hostile] }),
          chunk('a.txt', 'plain', { terms: ['a', 'b', 'x', 'near', 'and', 'terms'] }),
        ]));
        for (const term of hostile) {
          expect(ids(await store.keywordSearch([term], 10)), `term ${JSON.stringify(term)}`).toEqual(['hostile']);
        }
        expect(ids(await store.keywordSearch(hostile, 10))).toEqual(['hostile']);
        expect(ids(await store.keywordSearch(['"a" OR "b"', 'a AND b', 'a NOT b', 'terms : a'], 10))).toEqual([]);
      });

      it('equals brute-force BM25 on random corpora, also after a file is removed', async () => {
        const vocabulary = ['alpha', 'beta', 'gamma', 'delta', 'gpt-4', 'c++', '"q"', 'NEAR', 'über'];
        const arb = fc.record({
          docs: fc.array(fc.record({ file: fc.integer({ min: 0, max: 3 }), terms: fc.array(fc.constantFrom(...vocabulary), { maxLength: 10 }) }), { minLength: 1, maxLength: 24 }),
          query: fc.array(fc.constantFrom(...vocabulary, 'unknown'), { minLength: 1, maxLength: 5 }),
          limit: fc.integer({ min: 1, max: 10 }),
          removeFile: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
        });
        await fc.assert(
          fc.asyncProperty(arb, async ({ docs, query, limit, removeFile }) =>
            withStore(async (store) => {
              const chunks = docs.map((d, i) => chunk(`f${d.file}.txt`, `c${i}`, { terms: d.terms }));
              await store.apply(byFile(chunks));
              let live = chunks;
              if (removeFile !== undefined) {
                await store.apply({ upsert: [], remove: [`f${removeFile}.txt`] });
                live = chunks.filter((c) => c.file !== `f${removeFile}.txt`);
              }
              expectRanking(await store.keywordSearch(query, limit), bm25Reference(live, query), limit, BM25_TOLERANCE);
            }),
          ),
          { numRuns },
        );
      });
    });

    describe('vectorSearch', () => {
      it('scores by cosine similarity, best first', async () => {
        const store = await fresh();
        const v = unitVector(3);
        await store.apply(upsert('a.txt', [
          chunk('a.txt', 'same', { vector: scale(v, 1) }),
          chunk('a.txt', 'opposite', { vector: scale(v, -1) }),
          chunk('a.txt', 'other', { vector: unitVector(4) }),
        ]));
        const hits = await store.vectorSearch(scale(v, 5), 3);
        expect(hits.map((h) => h.id)).toEqual(['same', 'other', 'opposite']);
        expect(hits[0]?.score).toBeCloseTo(1, 5);
        expect(hits[2]?.score).toBeCloseTo(-1, 5);
        expect(await store.vectorSearch(v, 1)).toHaveLength(1);
        expect(await store.vectorSearch(v, 0)).toEqual([]);
      });

      it('rejects a query vector of the wrong length', async () => {
        const store = await fresh();
        await store.apply(upsert('a.txt', [chunk('a.txt', 'a1')]));
        await expect(store.vectorSearch(new Float32Array(DIMS + 1).fill(1), 5)).rejects.toThrow();
      });

      it('returns the exact nearest neighbours on random data', async () => {
        const arb = fc.record({
          vectors: fc.array(vectorArb(), { minLength: 1, maxLength: 40 }),
          query: vectorArb(),
          limit: fc.integer({ min: 1, max: 12 }),
        });
        await fc.assert(
          fc.asyncProperty(arb, async ({ vectors, query, limit }) =>
            withStore(async (store) => {
              const chunks = vectors.map((v, i) => chunk(`f${i % 3}.txt`, `c${i}`, { vector: v }));
              await store.apply(byFile(chunks));
              expectRanking(await store.vectorSearch(query, limit), cosineReference(chunks, query), limit, VECTOR_TOLERANCE);
            }),
          ),
          { numRuns },
        );
      });
    });

    describe('filters', () => {
      const corpus = [
        chunk('f1.txt', 'f1-hard', { section: ['LLM Basics', 'Fine-Tuning'], difficulty: 'Hard', lang: 'en' }),
        chunk('f1.txt', 'f1-easy', { section: ['LLM Basics'], difficulty: 'easy', lang: 'en' }),
        chunk('f2.txt', 'f2-hard', { section: ['Agenten', 'Feinabstimmung'], difficulty: 'HARD', lang: 'de' }),
        chunk('f2.txt', 'f2-none', { section: [], lang: 'de' }),
        chunk('f3.txt', 'f3-medium', { section: ['RAG', 'Fine-tuning vs RAG'], difficulty: 'Medium', lang: 'en' }),
      ].map((c, i) => ({ ...c, terms: ['shared', ...c.terms], vector: unitVector(10 + i) }));
      const cases: [string, SearchFilter, string[]][] = [
        ['no field', {}, ['f1-easy', 'f1-hard', 'f2-hard', 'f2-none', 'f3-medium']],
        ['one file', { file: ['f1.txt'] }, ['f1-easy', 'f1-hard']],
        ['two files', { file: ['f1.txt', 'f3.txt'] }, ['f1-easy', 'f1-hard', 'f3-medium']],
        ['no files', { file: [] }, []],
        ['section substring, any case', { section: 'FINE-tun' }, ['f1-hard', 'f3-medium']],
        ['section on an outer heading', { section: 'basics' }, ['f1-easy', 'f1-hard']],
        ['section never spans two headings', { section: 'basics fine' }, []],
        ['section never spans two headings (/)', { section: 'basics/fine' }, []],
        ['section never spans two headings (›)', { section: 'basics › fine' }, []],
        ['difficulty, any case', { difficulty: ['hard'] }, ['f1-hard', 'f2-hard']],
        ['several difficulties', { difficulty: ['Easy', 'MEDIUM'] }, ['f1-easy', 'f3-medium']],
        ['language', { lang: ['de'] }, ['f2-hard', 'f2-none']],
        ['language and difficulty', { lang: ['en'], difficulty: ['hard'] }, ['f1-hard']],
        ['file and section', { file: ['f2.txt'], section: 'feinab' }, ['f2-hard']],
        ['all fields', { file: ['f1.txt', 'f2.txt'], section: 'i', difficulty: ['hard', 'easy'], lang: ['en'] }, ['f1-easy', 'f1-hard']],
      ];

      it.each(cases)('%s narrows both searches', async (_label, filter, expected) => {
        const store = await fresh();
        await store.apply(byFile(corpus));
        expect(ids(await store.keywordSearch(['shared'], 100, filter))).toEqual(expected);
        expect(ids(await store.vectorSearch(unitVector(99), 100, filter))).toEqual(expected);
        const query = unitVector(42);
        const top2 = cosineReference(corpus.filter((c) => expected.includes(c.id)), query);
        expectRanking(await store.vectorSearch(query, 2, filter), top2, 2, VECTOR_TOLERANCE);
      });

      it('keeps the true top-k among matching chunks, on random data', async () => {
        const files = ['f0.txt', 'f1.txt', 'f2.txt'];
        const sections: string[][] = [[], ['LLM Basics'], ['LLM Basics', 'Fine-Tuning'], ['RAG', 'fine-tuning vs rag'], ['Agenten']];
        const arb = fc.record({
          docs: fc.array(
            fc.record({
              file: fc.constantFrom(...files),
              section: fc.constantFrom(...sections),
              difficulty: fc.constantFrom(undefined, 'Easy', 'HARD', 'medium'),
              lang: fc.constantFrom('en', 'de'),
              terms: fc.array(fc.constantFrom('alpha', 'beta', 'gamma'), { maxLength: 6 }),
              vector: vectorArb(),
            }),
            { minLength: 1, maxLength: 30 },
          ),
          filter: fc.record(
            {
              file: fc.subarray(files),
              section: fc.constantFrom('basics', 'FINE', 'rag', 'agent', 'zzz'),
              difficulty: fc.subarray(['easy', 'Hard', 'MEDIUM']),
              lang: fc.subarray(['en', 'de']),
            },
            { requiredKeys: [] },
          ),
          terms: fc.array(fc.constantFrom('alpha', 'beta', 'gamma'), { minLength: 1, maxLength: 3 }),
          query: vectorArb(),
          limit: fc.integer({ min: 1, max: 6 }),
        });
        await fc.assert(
          fc.asyncProperty(arb, async ({ docs, filter, terms, query, limit }) =>
            withStore(async (store) => {
              const chunks = docs.map(({ difficulty, ...d }, i) =>
                chunk(d.file, `c${i}`, { ...d, section: [...d.section], ...(difficulty === undefined ? {} : { difficulty }) }),
              );
              await store.apply(byFile(chunks));
              const matching = chunks.filter((c) => matchesFilter(c, filter));
              const matchingIds = new Set(matching.map((c) => c.id));
              expectRanking(await store.vectorSearch(query, limit, filter), cosineReference(matching, query), limit, VECTOR_TOLERANCE);
              // BM25 statistics stay those of the whole index; the filter only narrows the candidates.
              const bm25 = new Map([...bm25Reference(chunks, terms)].filter(([id]) => matchingIds.has(id)));
              expectRanking(await store.keywordSearch(terms, limit, filter), bm25, limit, BM25_TOLERANCE);
            }),
          ),
          { numRuns },
        );
      });
    });

    describe('getVectors', () => {
      it('returns stored vectors by id and leaves unknown ids out', async () => {
        const store = await fresh();
        const chunks = [1, 2, 3].map((i) => chunk('a.txt', `a${i}`, { vector: unitVector(i) }));
        await store.apply(upsert('a.txt', chunks));
        const got = await store.getVectors(['a3', 'nope', 'a1']);
        expect([...got.keys()].sort()).toEqual(['a1', 'a3']);
        for (const c of [chunks[0], chunks[2]]) {
          if (c === undefined) continue;
          const v = got.get(c.id);
          expect(v).toBeInstanceOf(Float32Array);
          expect(v?.length).toBe(DIMS);
          c.vector.forEach((x, i) => expect(Math.abs((v?.[i] ?? Number.NaN) - x)).toBeLessThan(1e-6));
        }
        expect((await store.getVectors([])).size).toBe(0);
      });
    });

    describe('atomicity', () => {
      async function snapshot(store: Store) {
        return {
          info: await store.info(),
          files: sortFiles(await store.listFiles()),
          a: await store.chunksOfFile('a.txt'),
          b: await store.chunksOfFile('b.txt'),
          keyword: await store.keywordSearch(['alpha', 'beta'], 10),
          vector: await store.vectorSearch(unitVector(5), 10),
          vectors: await store.getVectors(['a1', 'a2', 'b1', 'new-a']),
        };
      }

      it('leaves the previous index intact when a change fails midway', async () => {
        const store = await fresh();
        await store.apply({
          upsert: [
            { file: fileRecord('a.txt', 2), chunks: [chunk('a.txt', 'a1', { terms: ['alpha'] }), chunk('a.txt', 'a2', { terms: ['beta'] })] },
            { file: fileRecord('b.txt', 1), chunks: [chunk('b.txt', 'b1', { terms: ['alpha'] })] },
          ],
          remove: [],
        });
        const before = await snapshot(store);
        const failing: IndexChange = {
          upsert: [
            { file: fileRecord('a.txt', 1, 'a-v2'), chunks: [chunk('a.txt', 'new-a', { terms: ['alpha', 'beta'] })] },
            { file: fileRecord('b.txt', 2, 'b-v2'), chunks: [chunk('b.txt', 'new-b'), chunk('b.txt', 'bad', { vector: new Float32Array(DIMS + 3).fill(0.5) })] },
          ],
          remove: [],
        };
        await expect(store.apply(failing)).rejects.toThrow();
        expect(await snapshot(store)).toStrictEqual(before);
        await expect(store.apply({ upsert: [], remove: ['a.txt', 'b.txt'] }).then(() => store.info())).resolves.toMatchObject({ chunkCount: 0 });
      });

      it('applies concurrent changes one after another', async () => {
        const store = await fresh();
        const results = await Promise.allSettled([
          store.apply(upsert('a.txt', [chunk('a.txt', 'a1')])),
          store.apply(upsert('b.txt', [chunk('b.txt', 'b1'), chunk('b.txt', 'bad', { vector: new Float32Array(1) })])),
          store.apply(upsert('c.txt', [chunk('c.txt', 'c1'), chunk('c.txt', 'c2')])),
          store.keywordSearch(['alpha'], 10),
        ]);
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
        expect(sortFiles(await store.listFiles()).map((f) => f.file)).toEqual(['a.txt', 'c.txt']);
        expect(await store.info()).toMatchObject({ chunkCount: 3, fileCount: 2 });
      });
    });
  });
}

/** A chunk with plausible defaults and a vector derived from its id. */
function chunk(file: string, id: string, over: Partial<StoredChunk> = {}): StoredChunk {
  return {
    id,
    file,
    start: 0,
    end: 10,
    text: `text of ${id}`,
    embedText: `embed text of ${id}`,
    section: ['Section'],
    lang: 'en',
    kind: 'qa',
    footnotes: [],
    terms: ['alpha'],
    vector: unitVector(hash(id)),
    ...over,
  };
}

function asChunk(c: StoredChunk): Chunk {
  const { terms: _terms, vector: _vector, ...rest } = c;
  return rest;
}

function fileRecord(file: string, chunkCount: number, hash = `hash-of-${file}`): FileRecord {
  return { file, hash, chunkCount };
}

function upsert(file: string, chunks: StoredChunk[], hash?: string): IndexChange {
  return { upsert: [{ file: fileRecord(file, chunks.length, hash), chunks }], remove: [] };
}

/** One upsert per file of the chunks. */
function byFile(chunks: readonly StoredChunk[]): IndexChange {
  const files = new Map<string, StoredChunk[]>();
  for (const c of chunks) files.set(c.file, [...(files.get(c.file) ?? []), c]);
  return { upsert: [...files].map(([file, cs]) => ({ file: fileRecord(file, cs.length), chunks: cs })), remove: [] };
}

/** Ids sorted, or in rank order when `sorted` is false. */
function ids(hits: readonly { id: string }[], sorted = true): string[] {
  const out = hits.map((h) => h.id);
  return sorted ? out.sort() : out;
}

function sortFiles(files: readonly FileRecord[]): FileRecord[] {
  return [...files].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

function matchesFilter(c: Chunk, f: SearchFilter): boolean {
  if (f.file !== undefined && !f.file.includes(c.file)) return false;
  const section = f.section?.toLowerCase();
  if (section !== undefined && !c.section.some((s) => s.toLowerCase().includes(section))) return false;
  const difficulty = c.difficulty?.toLowerCase();
  if (f.difficulty !== undefined && (difficulty === undefined || !f.difficulty.some((d) => d.toLowerCase() === difficulty))) return false;
  if (f.lang !== undefined && !f.lang.includes(c.lang)) return false;
  return true;
}

function cosineReference(chunks: readonly StoredChunk[], query: Float32Array): Map<string, number> {
  const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return new Map(chunks.map((c) => [c.id, c.vector.reduce((s, x, i) => s + x * (query[i] ?? 0), 0) / (norm(c.vector) * norm(query))]));
}

/** Vectors of small integers: varied, never near zero, and prone to exact ties. */
function vectorArb(): fc.Arbitrary<Float32Array> {
  return fc
    .array(fc.integer({ min: -20, max: 20 }), { minLength: DIMS, maxLength: DIMS })
    .filter((xs) => xs.some((x) => x !== 0))
    .map((xs) => Float32Array.from(xs, (x) => x / 20));
}

/** A deterministic unit vector per seed. */
function unitVector(seed: number): Float32Array {
  const v = new Float32Array(DIMS);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < DIMS; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    v[i] = s / 2 ** 32 - 0.5;
  }
  return scale(v, 1 / Math.sqrt(v.reduce((sum, x) => sum + x * x, 0)));
}

function scale(v: Float32Array, by: number): Float32Array {
  return v.map((x) => x * by);
}

function hash(s: string): number {
  let h = 0;
  for (const ch of s) h = (h * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return h;
}
