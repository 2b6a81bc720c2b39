import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BagEmbedder } from '../testing/bag-embedder.js';
import { buildLangchainBaseline } from './langchain-pipeline.js';

describe('the LangChain.js baseline', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qbank-baseline-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const long = Array.from({ length: 40 }, (_, i) => `Paragraph ${i} talks about Attention heads and KV caches in some detail, number ${i}.`).join('\n\n');
  writeFileSync(join(dir, 'a.md'), `# Notes\n\n${long}\n\nPagedAttention divides the KV cache into Pages.\n`);
  writeFileSync(join(dir, 'b.md'), '# Other\n\nBananas are yellow.\n');

  it('splits 1000/200 and gives every chunk its exact offsets in its file', async () => {
    const pipeline = await buildLangchainBaseline(dir, new BagEmbedder());
    const a = pipeline.chunks.filter((c) => c.file === 'a.md');
    expect(a.length).toBeGreaterThan(3);
    const text = `# Notes\n\n${long}\n\nPagedAttention divides the KV cache into Pages.\n`;
    for (const c of pipeline.chunks.filter((x) => x.file === 'a.md')) {
      expect(c.text.length).toBeLessThanOrEqual(1000);
      expect(text.slice(c.start, c.end)).toBe(c.text);
    }
    // Consecutive chunks overlap (chunkOverlap 200).
    expect((a[1]?.start ?? 0) < (a[0]?.end ?? 0)).toBe(true);
  });

  it('finds capitalised words with a lowercase query (the BM25Retriever case bug is worked around)', async () => {
    const pipeline = await buildLangchainBaseline(dir, new BagEmbedder());
    const [top] = await pipeline.search('pagedattention pages', 3);
    expect(top?.text).toContain('PagedAttention divides the KV cache into Pages.');
    expect((await pipeline.search('bananas', 1))[0]?.file).toBe('b.md');
  });
});
