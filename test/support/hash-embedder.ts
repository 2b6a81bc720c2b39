import { createHash } from 'node:crypto';
import type { Embedder } from '../../src/ports/embedder.js';
import { analyze } from '../../src/lang/analyzer.js';

/**
 * A fast, deterministic stand-in for the real model: the feature-hashed bag of a text's
 * analysed terms (and their bigrams), as a unit vector. Texts that share words are close, so
 * retrieval, abstention and the extractive answerer behave sensibly without any model files.
 *
 * @example
 * const e = new HashEmbedder(256);
 * const [v] = await e.embed(['explain GQA vs MQA'], 'query'); // v.length === 256, |v| === 1
 */
export class HashEmbedder implements Embedder {
  readonly id: string;
  readonly maxBatchSize = 256;
  calls = 0;

  constructor(readonly dimensions = 256) {
    this.id = `hash-bow:${dimensions}`;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    this.calls += 1;
    return texts.map((t) => this.vector(t));
  }

  vector(text: string): Float32Array {
    const v = new Float32Array(this.dimensions);
    const terms = analyze(text, /\b(der|die|das|und|ist|nicht)\b/i.test(text) ? 'de' : 'en');
    const features = [...terms, ...terms.slice(1).map((t, i) => `${terms[i]} ${t}`)];
    for (const f of features) {
      const h = createHash('sha1').update(f).digest();
      const slot = h.readUInt32LE(0) % this.dimensions;
      v[slot] = (v[slot] ?? 0) + ((h[4] ?? 0) & 1 ? 1 : -1);
    }
    let norm = 0;
    for (const x of v) norm += x * x;
    if (norm === 0) {
      v[0] = 1;
      return v;
    }
    const s = 1 / Math.sqrt(norm);
    for (let i = 0; i < v.length; i++) v[i] = (v[i] ?? 0) * s;
    return v;
  }
}
