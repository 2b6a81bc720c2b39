import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMemoryIndex, type MemoryIndex } from '../../test/support/memory-index.js';
import { InvalidInputError } from '../errors.js';
import { pruneCommonTerms, SEARCH_MODES } from './searcher.js';

let index: MemoryIndex;
beforeAll(async () => {
  index = await buildMemoryIndex();
});
afterAll(() => index.close());

describe('Searcher', () => {
  it('gives every result its source, metadata and the scores of each stage', async () => {
    const r = await index.searcher.search({ query: 'explain GQA vs MQA', k: 5 });
    expect(r.results).toHaveLength(5);
    const top = r.results[0];
    expect(top?.source.title).toMatch(/MQA|GQA|KV cache/);
    for (const res of r.results) {
      expect(res.scores.rerank).toBeTypeOf('number');
      expect(res.scores.fused).toBeTypeOf('number');
      expect(res.scores.bm25 !== undefined || res.scores.dense !== undefined).toBe(true);
      expect(index.corpus.text(res.source.file).slice(res.source.start, res.source.end).length).toBeGreaterThan(0);
    }
    expect(r.results.map((x) => x.score)).toEqual([...r.results.map((x) => x.score)].sort((a, b) => b - a));
  });

  it.each(SEARCH_MODES)('runs mode %s with only its stages', async (mode) => {
    const r = await index.searcher.search({ query: 'LoRA rank', k: 3, mode });
    expect(r.results.length).toBeGreaterThan(0);
    const s = r.results[0]?.scores ?? {};
    expect(s.rerank !== undefined).toBe(mode === 'rerank');
    expect(s.fused !== undefined).toBe(mode === 'hybrid' || mode === 'rerank');
    if (mode === 'bm25') expect(s.dense).toBeUndefined();
  });

  it('folds the parts of one question into one result', async () => {
    const r = await index.searcher.search({ query: 'Why do modern LLMs use decoder-only architecture instead of encoder-decoder?', k: 10 });
    const keys = r.results.filter((x) => x.meta.part).map((x) => `${x.source.file}#${x.meta.questionNumber}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('applies every filter', async () => {
    const byFile = await index.searcher.search({ query: 'attention', k: 10, filter: { file: ['003_2c438f64575affed.txt'] } });
    expect(byFile.results.every((x) => x.source.file === '003_2c438f64575affed.txt')).toBe(true);
    const bySection = await index.searcher.search({ query: 'attention', k: 10, filter: { section: 'fine-tuning' } });
    expect(bySection.results.length).toBeGreaterThan(0);
    expect(bySection.results.every((x) => x.source.section.some((s) => s.toLowerCase().includes('fine-tuning')))).toBe(true);
    const hard = await index.searcher.search({ query: 'attention', k: 10, filter: { difficulty: ['HARD'] } });
    expect(hard.results.every((x) => x.meta.difficulty === 'Hard')).toBe(true);
    const de = await index.searcher.search({ query: 'attention', k: 10, filter: { lang: ['de'] } });
    expect(de.results.every((x) => x.meta.lang === 'de')).toBe(true);
  });

  it('searches German questions through their English translation', async () => {
    const r = await index.searcher.search({ query: 'Was ist der Unterschied zwischen LoRA und QLoRA?' });
    expect(r.lang).toBe('de');
    expect(r.translated).toMatch(/lora/i);
  });

  it('refuses empty, over-long and non-string queries and bad k', async () => {
    await expect(index.searcher.search({ query: '  \u0000 ' })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(index.searcher.search({ query: 'x'.repeat(2001) })).rejects.toThrow(/limit is 2000/);
    await expect(index.searcher.search({ query: 42 as unknown as string })).rejects.toThrow(/must be a string/);
    await expect(index.searcher.search({ query: 'kv', k: 0 })).rejects.toThrow(/k must be/);
  });
});

describe('Searcher over JSON records', () => {
  it('folds the parts of one long record, never two records that share a title', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qbank-records-'));
    const long = (topic: string) => Array.from({ length: 8 }, (_, i) => `Paragraph ${i} about ${topic} sharding and replicas, with enough words to fill it.`.repeat(3)).join('\n\n');
    writeFileSync(join(dir, 'r.json'), JSON.stringify([{ id: 'a', title: 'FAQ', text: long('vector database') }, { id: 'b', title: 'FAQ', text: long('vector index') }]));
    const records = await buildMemoryIndex({ corpusDir: dir });
    try {
      expect(records.chunks.filter((c) => c.part).length).toBeGreaterThanOrEqual(4);
      const r = await records.searcher.search({ query: 'vector sharding replicas', k: 10 });
      expect(r.results.map((x) => x.id.replace(/~p\d+$/, '')).sort()).toEqual(['r.json#a', 'r.json#b']);
      for (const x of r.results) expect((x.parts ?? []).every((p) => p.id.startsWith(`${x.id.replace(/~p\d+$/, '')}~p`))).toBe(true);
    } finally {
      await records.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pruneCommonTerms', () => {
  const stats = { docCount: 100, df: new Map([['model', 90], ['llm', 60], ['lora', 5], ['rank', 12]]) };
  it('drops terms most chunks hold and keeps the rare ones in order', () => {
    expect(pruneCommonTerms(['lora', 'model', 'rank', 'llm'], stats, 0.2)).toEqual(['lora', 'rank']);
  });
  it('always keeps the two rarest terms', () => {
    expect(pruneCommonTerms(['model', 'llm'], stats, 0.2)).toEqual(['model', 'llm']);
  });
  it('also caps the number of chunks a term may hold', () => {
    expect(pruneCommonTerms(['lora', 'model', 'rank', 'llm'], stats, 1, 10)).toEqual(['lora', 'rank']);
  });
  it('keeps everything at a fraction of 1', () => {
    expect(pruneCommonTerms(['model', 'lora'], stats, 1)).toEqual(['model', 'lora']);
  });
});
