import type { Embedder } from '../../src/ports/embedder.js';

/**
 * A deterministic test embedder: a hashed bag of lower-cased words, unit length. Texts that
 * share words are close; texts that share none are orthogonal. No model, instant.
 */
export class BagEmbedder implements Embedder {
  readonly id = 'test:bag-of-words';
  readonly dimensions = 256;
  readonly maxBatchSize = 1000;
  calls = 0;

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    this.calls += 1;
    return texts.map((t) => {
      const v = new Float32Array(this.dimensions);
      for (const w of t.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
        let h = 2166136261;
        for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619);
        v[(h >>> 0) % this.dimensions] = (v[(h >>> 0) % this.dimensions] ?? 0) + 1;
      }
      const norm = Math.hypot(...v) || 1;
      return v.map((x) => x / norm);
    });
  }
}
