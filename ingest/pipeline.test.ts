import { copyFileSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HashEmbedder } from '../test/support/hash-embedder.js';
import type { Embedder } from '../src/ports/embedder.js';
import { CachedEmbedder } from '../src/embed/cached-embedder.js';
import { EmbeddingCache } from '../src/embed/cache.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { packageRoot } from '../src/util/package-root.js';
import { DEFAULT_CHUNK_OPTIONS } from './chunk.js';
import { ingestCorpus, type IngestReport } from './pipeline.js';

const corpus = join(packageRoot(), 'corpus');
const options = (corpusDir: string) => ({ corpusDir, chunk: DEFAULT_CHUNK_OPTIONS, jsonFields: { id: 'id', title: 'title', text: 'text', url: 'url' } });

let dir: string;
let corpusDir: string;
let inner: HashEmbedder;
let embedder: CachedEmbedder;
let store: SqliteStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'qbank-ingest-'));
  corpusDir = join(dir, 'corpus');
  mkdirSync(corpusDir);
  for (const f of ['001_5bf45d9c8afd0c6e.txt', '004_29baa6f2a6fa364a.txt']) copyFileSync(join(corpus, f), join(corpusDir, f));
  inner = new HashEmbedder(64);
  embedder = new CachedEmbedder(inner, new EmbeddingCache(join(dir, 'cache.sqlite')));
  store = SqliteStore.open({ path: join(dir, 'index.sqlite'), embedderId: inner.id, dimensions: inner.dimensions });
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = (e: Embedder = embedder): Promise<IngestReport> => ingestCorpus({ store, embedder: e, embeddedCount: () => embedder.stats.embedded }, options(corpusDir));
const statuses = (r: IngestReport) => Object.fromEntries(r.files.map((f) => [f.file, f.status]));

describe('ingestCorpus', () => {
  it('indexes every file, then changes nothing on an unchanged corpus', async () => {
    const first = await run();
    expect(first.changed).toBe(true);
    expect(first.fileCount).toBe(2);
    expect(first.embeddedChunks).toBe(first.chunkCount);
    const calls = inner.calls;
    const again = await run();
    expect(again.changed).toBe(false);
    expect(again.embeddedChunks).toBe(0);
    expect(again.writtenChunks).toBe(0);
    expect(inner.calls).toBe(calls);
    expect(Object.values(statuses(again))).toEqual(['unchanged', 'unchanged']);
  });

  it('replaces exactly the chunks of a changed file and embeds only new text', async () => {
    await run();
    const before004 = (await store.chunksOfFile('004_29baa6f2a6fa364a.txt')).map((c) => c.id);
    const path = join(corpusDir, '001_5bf45d9c8afd0c6e.txt');
    writeFileSync(path, `${(await import('node:fs')).readFileSync(path, 'utf8')}\n### Brand New Section\n- What is a brand new question about speculative decoding?\n`);
    const r = await run();
    expect(statuses(r)).toEqual({ '001_5bf45d9c8afd0c6e.txt': 'changed', '004_29baa6f2a6fa364a.txt': 'unchanged' });
    expect(r.embeddedChunks).toBe(1);
    expect((await store.chunksOfFile('004_29baa6f2a6fa364a.txt')).map((c) => c.id)).toEqual(before004);
    expect((await store.chunksOfFile('001_5bf45d9c8afd0c6e.txt')).some((c) => c.section.includes('Brand New Section'))).toBe(true);
  });

  it("deletes a removed file's chunks", async () => {
    await run();
    unlinkSync(join(corpusDir, '004_29baa6f2a6fa364a.txt'));
    const r = await run();
    expect(statuses(r)['004_29baa6f2a6fa364a.txt']).toBe('removed');
    expect(await store.chunksOfFile('004_29baa6f2a6fa364a.txt')).toEqual([]);
    expect((await store.info()).fileCount).toBe(1);
  });

  it('skips unreadable, binary, empty and malformed files with their reasons, and ingests the rest', async () => {
    writeFileSync(join(corpusDir, 'empty.md'), '');
    writeFileSync(join(corpusDir, 'binary.txt'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]));
    writeFileSync(join(corpusDir, 'latin1.txt'), Buffer.from([0x47, 0x72, 0xfc, 0xdf, 0x65]));
    writeFileSync(join(corpusDir, 'bad.json'), '[{"id": 1, "text": "unterminated');
    writeFileSync(join(corpusDir, 'no-text.json'), '[{"id": "a", "title": "x"}]');
    writeFileSync(join(corpusDir, 'front.md'), '---\ntitle: [unclosed\n---\n\n# Heading\n\nText about LoRA.\n');
    const r = await run();
    const reasons = Object.fromEntries(r.files.filter((f) => f.status === 'skipped').map((f) => [f.file, f.reason]));
    expect(reasons['empty.md']).toMatch(/empty/);
    expect(reasons['binary.txt']).toMatch(/binary/);
    expect(reasons['latin1.txt']).toMatch(/UTF-8/);
    expect(reasons['bad.json']).toMatch(/not valid JSON/);
    expect(reasons['no-text.json']).toMatch(/no non-empty string field "text"/);
    expect(reasons['front.md']).toMatch(/front matter/);
    expect(r.fileCount).toBe(2);
  });

  it('keeps the previous chunks of a file that became malformed', async () => {
    writeFileSync(join(corpusDir, 'records.json'), JSON.stringify([{ id: 'r1', title: 'Streaming', text: 'Server-sent events stream tokens as they arrive.' }]));
    await run();
    expect(await store.chunksOfFile('records.json')).toHaveLength(1);
    writeFileSync(join(corpusDir, 'records.json'), '{ not json');
    const r = await run();
    expect(statuses(r)['records.json']).toBe('skipped');
    expect(await store.chunksOfFile('records.json')).toHaveLength(1);
  });

  it('reads JSON chunk files with a field mapping', async () => {
    writeFileSync(join(corpusDir, 'docs.json'), JSON.stringify([{ chunk_link: 'https://x/a', chunk_heading: 'A', text: 'Alpha text about embeddings.' }]));
    const r = await ingestCorpus({ store, embedder }, { ...options(corpusDir), jsonFields: { id: 'chunk_link', title: 'chunk_heading', text: 'text', url: 'chunk_link' } });
    expect(statuses(r)['docs.json']).toBe('added');
    const [c] = await store.chunksOfFile('docs.json');
    expect(c).toMatchObject({ id: 'docs.json#https://x/a', title: 'A', kind: 'record', footnotes: [{ url: 'https://x/a' }] });
  });

  it('leaves the previous index intact when embedding fails part-way', async () => {
    await run();
    const before = await store.info();
    writeFileSync(join(corpusDir, 'new.md'), '# New\n\nA new passage about mixture of experts routing.\n');
    const failing: Embedder = { id: inner.id, dimensions: inner.dimensions, maxBatchSize: 8, embed: async () => Promise.reject(new Error('model crashed')) };
    await expect(run(failing)).rejects.toThrow('model crashed');
    expect(await store.info()).toEqual(before);
    expect(await store.chunksOfFile('new.md')).toEqual([]);
  });
});
