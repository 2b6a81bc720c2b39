import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Embedder } from '../ports/embedder.js';
import { EmbeddingCache } from './cache.js';
import { CachedEmbedder } from './cached-embedder.js';

/** Deterministic vectors from the text's hash; records every call. */
class FakeEmbedder implements Embedder {
  readonly dimensions = 4;
  readonly calls: { texts: string[]; kind: 'query' | 'passage' }[] = [];
  closed = false;
  constructor(readonly id = 'fake@1', readonly maxBatchSize = 3) {}
  get embeddedTexts(): string[] {
    return this.calls.flatMap((c) => c.texts);
  }
  async embed(texts: readonly string[], kind: 'query' | 'passage'): Promise<Float32Array[]> {
    expect(texts.length).toBeLessThanOrEqual(this.maxBatchSize);
    this.calls.push({ texts: [...texts], kind });
    return texts.map((t) => vectorOf(`${kind}:${t}`));
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function vectorOf(s: string): Float32Array {
  const h = createHash('sha256').update(s).digest();
  return Float32Array.from([h[0] ?? 0, h[1] ?? 0, h[2] ?? 0, h[3] ?? 0], (x) => x / 255);
}

const passages = (n: number, prefix = 'p') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('CachedEmbedder', () => {
  it('embeds passages once, in batches of the inner embedder, and returns them in order', async () => {
    const inner = new FakeEmbedder();
    const embedder = new CachedEmbedder(inner, new EmbeddingCache(':memory:'));
    const texts = passages(7);
    const first = await embedder.embed(texts, 'passage');
    expect(first).toEqual(texts.map((t) => vectorOf(`passage:${t}`)));
    expect(inner.calls.map((c) => c.texts.length)).toEqual([3, 3, 1]);
    expect(embedder.stats).toEqual({ embedded: 7, cached: 0 });

    const again = await embedder.embed([...texts].reverse(), 'passage');
    expect(again).toEqual([...texts].reverse().map((t) => vectorOf(`passage:${t}`)));
    expect(inner.calls).toHaveLength(3);
    expect(embedder.stats).toEqual({ embedded: 7, cached: 7 });
  });

  it('embeds only the passages missing from the cache', async () => {
    const inner = new FakeEmbedder();
    const embedder = new CachedEmbedder(inner, new EmbeddingCache(':memory:'));
    await embedder.embed(['a', 'b', 'c'], 'passage');
    inner.calls.length = 0;
    const got = await embedder.embed(['x', 'a', 'y', 'c', 'b'], 'passage');
    expect(inner.embeddedTexts).toEqual(['x', 'y']);
    expect(got).toEqual(['x', 'a', 'y', 'c', 'b'].map((t) => vectorOf(`passage:${t}`)));
    expect(embedder.stats).toEqual({ embedded: 5, cached: 3 });
  });

  it('embeds a text repeated in one call once, returning separate arrays', async () => {
    const inner = new FakeEmbedder();
    const embedder = new CachedEmbedder(inner, new EmbeddingCache(':memory:'));
    const [a, b, c] = await embedder.embed(['same', 'same', 'other'], 'passage');
    expect(inner.embeddedTexts).toEqual(['same', 'other']);
    expect(a).toEqual(b);
    expect(a).not.toBe(b);
    expect(c).toEqual(vectorOf('passage:other'));
  });

  it('reports progress over the passages it actually embeds', async () => {
    const seen: [number, number][] = [];
    const cache = new EmbeddingCache(':memory:');
    const embedder = new CachedEmbedder(new FakeEmbedder(), cache, { onProgress: (done, total) => seen.push([done, total]) });
    await embedder.embed(passages(2), 'passage');
    seen.length = 0;
    await embedder.embed(passages(9), 'passage');
    expect(seen).toEqual([[0, 7], [3, 7], [6, 7], [7, 7]]);
    seen.length = 0;
    await embedder.embed(passages(9), 'passage');
    await embedder.embed(['q'], 'query');
    expect(seen).toEqual([]);
  });

  it('shares the persistent cache between instances of the same embedder only', async () => {
    const cache = new EmbeddingCache(':memory:');
    await new CachedEmbedder(new FakeEmbedder('fake@1'), cache).embed(passages(4), 'passage');
    const same = new FakeEmbedder('fake@1');
    await new CachedEmbedder(same, cache).embed(passages(4), 'passage');
    expect(same.calls).toEqual([]);
    const other = new FakeEmbedder('fake@2');
    await new CachedEmbedder(other, cache).embed(passages(4), 'passage');
    expect(other.embeddedTexts).toEqual(passages(4));
  });

  it('keeps queries in a bounded in-memory LRU, apart from passages', async () => {
    const inner = new FakeEmbedder();
    const cache = new EmbeddingCache(':memory:');
    const embedder = new CachedEmbedder(inner, cache, { queryCacheSize: 2 });
    expect(await embedder.embed(['q1'], 'query')).toEqual([vectorOf('query:q1')]);
    await embedder.embed(['q1', 'q2'], 'query');
    expect(inner.embeddedTexts).toEqual(['q1', 'q2']);
    expect(cache.count(inner.id)).toBe(0);

    await embedder.embed(['q1'], 'query'); // q1 is now the most recent
    await embedder.embed(['q3'], 'query'); // evicts q2
    inner.calls.length = 0;
    await embedder.embed(['q1', 'q3'], 'query');
    expect(inner.calls).toEqual([]);
    await embedder.embed(['q2'], 'query');
    expect(inner.embeddedTexts).toEqual(['q2']);

    inner.calls.length = 0;
    await embedder.embed(['q1'], 'passage');
    expect(inner.calls).toEqual([{ texts: ['q1'], kind: 'passage' }]);
  });

  it('never lets a caller change a cached query vector', async () => {
    const embedder = new CachedEmbedder(new FakeEmbedder(), new EmbeddingCache(':memory:'));
    const [first] = await embedder.embed(['q'], 'query');
    first?.fill(0);
    const [second] = await embedder.embed(['q'], 'query');
    second?.fill(0);
    expect((await embedder.embed(['q'], 'query'))[0]).toEqual(vectorOf('query:q'));
  });

  it('refuses malformed output of the inner embedder and caches none of that batch', async () => {
    const inner = new FakeEmbedder();
    inner.embed = async (texts) => texts.map(() => new Float32Array(3));
    const cache = new EmbeddingCache(':memory:');
    const embedder = new CachedEmbedder(inner, cache);
    await expect(embedder.embed(['a'], 'passage')).rejects.toMatchObject({ code: 'embedder_output' });
    inner.embed = async () => [];
    await expect(embedder.embed(['a'], 'passage')).rejects.toThrow(/0 vectors for 1 texts/);
    expect(cache.count(inner.id)).toBe(0);
  });

  it('does not call the inner embedder for no texts, and forwards identity and close', async () => {
    const inner = new FakeEmbedder('fake@9');
    const embedder = new CachedEmbedder(inner, new EmbeddingCache(':memory:'));
    expect(await embedder.embed([], 'passage')).toEqual([]);
    expect(inner.calls).toEqual([]);
    expect([embedder.id, embedder.dimensions]).toEqual(['fake@9', 4]);
    await embedder.close();
    expect(inner.closed).toBe(true);
  });

  it('embeds a text that concurrent calls both need once, and gives each call its own array', async () => {
    const inner = new FakeEmbedder();
    const embedder = new CachedEmbedder(inner, new EmbeddingCache(':memory:'));
    const [first, second, query1, query2] = await Promise.all([
      embedder.embed(['a', 'b', 'c'], 'passage'),
      embedder.embed(['c', 'b', 'd'], 'passage'),
      embedder.embed(['q'], 'query'),
      embedder.embed(['q'], 'query'),
    ]);
    expect([...inner.embeddedTexts].sort()).toEqual(['a', 'b', 'c', 'd', 'q']);
    expect(second).toEqual(['c', 'b', 'd'].map((t) => vectorOf(`passage:${t}`)));
    expect(first[2]).toEqual(second[0]);
    expect(first[2]).not.toBe(second[0]);
    expect(query1).toEqual(query2);
    expect(query1?.[0]).not.toBe(query2?.[0]);
    expect(embedder.stats).toEqual({ embedded: 5, cached: 3 });
  });

  it('does not make a request wait on idle work for the same text, and lets idle work wait on a request', async () => {
    const inner = new FakeEmbedder();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const plain = inner.embed.bind(inner);
    inner.embed = async (texts, kind, options?: { idle?: boolean }) => {
      if (options?.idle) await held;
      return plain(texts, kind);
    };
    const embedder = new CachedEmbedder(inner, new EmbeddingCache(':memory:'));
    const idle = embedder.embed(['s1', 's2'], 'passage', { idle: true });
    // The request embeds s1 itself although the idle call has it in flight, and does not hang.
    expect(await embedder.embed(['s1'], 'passage')).toEqual([vectorOf('passage:s1')]);
    const idleAgain = embedder.embed(['s2'], 'passage', { idle: true });
    release();
    expect(await idle).toEqual([vectorOf('passage:s1'), vectorOf('passage:s2')]);
    expect(await idleAgain).toEqual([vectorOf('passage:s2')]);
    expect(inner.embeddedTexts.filter((t) => t === 's2')).toHaveLength(1);
  });

  it('fails a call that waited on a failed embedding with its error, and embeds the text again next time', async () => {
    const inner = new FakeEmbedder();
    const plain = inner.embed.bind(inner);
    let failures = 1;
    inner.embed = async (texts, kind) => {
      await new Promise((r) => setTimeout(r, 5));
      if (failures-- > 0) throw new Error('model crashed');
      return plain(texts, kind);
    };
    const embedder = new CachedEmbedder(inner, new EmbeddingCache(':memory:'));
    const results = await Promise.allSettled([embedder.embed(['x'], 'passage'), embedder.embed(['x', 'y'], 'passage')]);
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'ok'))).toEqual(['model crashed', 'model crashed']);
    expect(await embedder.embed(['x'], 'passage')).toEqual([vectorOf('passage:x')]);
  });
});

