import type { Embedder } from '../ports/embedder.js';

/** Embeds any number of texts in calls of at most the embedder's `maxBatchSize`, in order. */
export async function embedInBatches(embedder: Embedder, texts: readonly string[], kind: 'query' | 'passage'): Promise<Float32Array[]> {
  const size = Math.max(1, Math.floor(embedder.maxBatchSize) || 1);
  const out: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += size) out.push(...(await embedder.embed(texts.slice(i, i + size), kind)));
  return out;
}
