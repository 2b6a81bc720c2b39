import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbedOptions, Embedder } from '../ports/embedder.js';
import { buildMemoryIndex, type MemoryIndex } from '../../test/support/memory-index.js';
import { HashEmbedder } from '../../test/support/hash-embedder.js';
import { ExtractiveAnswerer } from './extractive.js';
import { warmAnswerSentences } from './warm-sentences.js';

/** The hash embedder, recording every passage text it is asked for and with which options. */
class RecordingEmbedder implements Embedder {
  readonly inner = new HashEmbedder();
  readonly id = this.inner.id;
  readonly dimensions = this.inner.dimensions;
  readonly maxBatchSize = 64;
  readonly passages: { text: string; idle: boolean }[] = [];
  async embed(texts: readonly string[], kind: 'query' | 'passage', options: EmbedOptions = {}): Promise<Float32Array[]> {
    if (kind === 'passage') for (const text of texts) this.passages.push({ text, idle: options.idle ?? false });
    return this.inner.embed(texts);
  }
}

describe('warmAnswerSentences', () => {
  let index: MemoryIndex;
  beforeAll(async () => {
    index = await buildMemoryIndex();
  });
  afterAll(() => index.close());

  it('embeds, as idle work, every sentence the extractive answerer embeds for the bank questions', async () => {
    const warm = new RecordingEmbedder();
    const result = await warmAnswerSentences({ store: index.store, fileText: (f) => index.corpus.text(f), embedder: warm, batch: 50 });
    expect(result.files).toBe((await index.store.listFiles()).length);
    expect(result.sentences).toBe(warm.passages.length);
    expect(result.sentences).toBeGreaterThan(500);
    expect(warm.passages.every((p) => p.idle)).toBe(true);
    const warmed = new Set(warm.passages.map((p) => p.text));

    const asked = new RecordingEmbedder();
    const answerer = new ExtractiveAnswerer({ embedder: asked, fileText: (f) => index.corpus.text(f) });
    const questions = ['explain GQA vs MQA', 'What is LoRA?', 'How does the KV cache grow with context length?', 'Wie funktioniert RAG?', 'What is speculative decoding?', 'Compare RLHF and DPO'];
    for (const question of questions) {
      const { results } = await index.searcher.search({ query: question, k: 5 });
      await answerer.answer(question, results);
    }
    expect(asked.passages.length).toBeGreaterThan(50);
    const missing = asked.passages.filter((p) => !warmed.has(p.text)).map((p) => p.text);
    expect(missing).toEqual([]);
  });

  it('stops between batches when its signal aborts', async () => {
    const stop = new AbortController();
    const warm = new RecordingEmbedder();
    const embed = warm.embed.bind(warm);
    warm.embed = async (texts, kind, options) => {
      const out = await embed(texts, kind, options);
      stop.abort();
      return out;
    };
    const result = await warmAnswerSentences({ store: index.store, fileText: (f) => index.corpus.text(f), embedder: warm, signal: stop.signal, batch: 10 });
    expect(result.sentences).toBe(10);
    expect(warm.passages).toHaveLength(10);
  });
});
