/**
 * How close three ways of doing BM25 in Qdrant come to the store contract's brute-force BM25
 * (`bm25Reference`, FTS5's formula) on the real corpus and the dev set's questions. Prints
 * figures; asserts nothing. Run: npx tsc -p tsconfig.bench.json && node dist/bench/qdrant-bm25-fidelity.js
 *
 * 1. qbank's QdrantStore: tf weights computed client-side from the analysed terms, idf query
 *    weights, float64 rescoring of the candidates.
 * 2. Sparse vector with `modifier: "idf"`: the same client-side tf weights, Qdrant's own idf
 *    (ln(1 + (N − n + 0.5)/(n + 0.5))) and float32 scores, no rescoring.
 * 3. Server-side inference `qdrant/bm25`: Qdrant tokenizes the chunk text and the question
 *    itself (its own tokenizer, stemmer and stopwords), avg_len given by the client.
 */
import { join } from 'node:path';
import { QdrantClient } from '@qdrant/js-client-rest';
import { ConfigSchema } from '../src/config.js';
import { analyze } from '../src/lang/analyzer.js';
import type { StoredChunk } from '../src/ports/chunk.js';
import { bm25Reference } from '../src/store/bm25-reference.js';
import { documentLength, saturation, sparseVector, termFrequencies } from '../src/store/qdrant/bm25-weights.js';
import { pointId } from '../src/store/qdrant/point-id.js';
import { QdrantStore } from '../src/store/qdrant/qdrant-store.js';
import { packageRoot } from '../src/util/package-root.js';
import { chunkSource } from '../ingest/chunk-source.js';
import { analyzerLanguage, termsOf } from '../ingest/pipeline.js';
import { listSourceFiles, readSourceFile } from '../ingest/source-files.js';
import { loadDataset } from '../eval/dataset.js';
import { startQdrant } from '../test/support/qdrant-server.js';

const K = 10;

async function main(): Promise<void> {
  const root = packageRoot();
  const corpusDir = join(root, 'corpus');
  const config = ConfigSchema.parse({ corpusDir, dataDir: '/tmp', store: { kind: 'sqlite', path: ':memory:' }, embedder: { kind: 'local' } });
  const chunks: StoredChunk[] = [];
  const byFile = new Map<string, StoredChunk[]>();
  for (const file of await listSourceFiles(corpusDir)) {
    const source = await readSourceFile(corpusDir, file);
    if (!('text' in source)) continue;
    for (const c of chunkSource(source, config)) {
      const s: StoredChunk = { ...c, terms: termsOf(c), vector: new Float32Array([1, 0]) };
      chunks.push(s);
      byFile.set(file, [...(byFile.get(file) ?? []), s]);
    }
  }
  const items = loadDataset(join(root, 'eval', 'datasets', 'dev.jsonl'));
  const avgdl = chunks.reduce((s, c) => s + documentLength(c.terms), 0) / chunks.length;
  console.log(`${chunks.length} chunks, avgdl ${avgdl.toFixed(1)} terms, ${items.length} questions, top-${K}\n`);

  const server = await startQdrant();
  try {
    const client = new QdrantClient({ url: server.url, checkCompatibility: false, headers: { 'accept-encoding': 'identity' } });
    const store = await QdrantStore.connect({ url: server.url, collection: 'exact', shardNumber: 1, replicationFactor: 1, embedderId: 'x', dimensions: 2 });
    await store.apply({ upsert: [...byFile].map(([file, cs]) => ({ file: { file, hash: file, chunkCount: cs.length }, chunks: cs })), remove: [] });

    await client.createCollection('idf', { sparse_vectors: { bm25: { modifier: 'idf' } } });
    await client.createCollection('inference', { sparse_vectors: { bm25: { modifier: 'idf' } } });
    for (let i = 0; i < chunks.length; i += 256) {
      const slice = chunks.slice(i, i + 256);
      await client.upsert('idf', {
        wait: true,
        points: slice.map((c) => {
          const len = documentLength(c.terms);
          return { id: pointId('chunk', c.id), vector: { bm25: sparseVector([...termFrequencies(c.terms)].map(([t, f]) => [t, saturation(f, len, avgdl)] as const)) }, payload: { id: c.id } };
        }),
      });
      // Qdrant counts its own tokens; the analysed-term avgdl is the closest value a client has.
      await client.upsert('inference', {
        wait: true,
        points: slice.map((c) => ({ id: pointId('chunk', c.id), vector: { bm25: { text: c.title ? `${c.title}\n${c.text}` : c.text, model: 'qdrant/bm25', options: { avg_len: avgdl } } }, payload: { id: c.id } })) as never,
      });
    }

    const rows = { exact: new Stats(), idf: new Stats(), inference: new Stats() };
    for (const item of items) {
      const terms = analyze(item.question, analyzerLanguage(item.lang));
      const reference = bm25Reference(chunks, terms);
      const want = [...reference].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, K);
      if (want.length === 0) continue;
      rows.exact.add(want, await store.keywordSearch(terms, K), reference);
      const counts = termFrequencies(terms);
      const idfHits = await client.query('idf', { query: sparseVector([...counts]), using: 'bm25', limit: K, with_payload: ['id'] });
      rows.idf.add(want, idfHits.points.map((p) => ({ id: p.payload?.['id'] as string, score: p.score })), reference);
      const infHits = await client.query('inference', { query: { text: item.question, model: 'qdrant/bm25' } as never, using: 'bm25', limit: K, with_payload: ['id'] });
      rows.inference.add(want, infHits.points.map((p) => ({ id: p.payload?.['id'] as string, score: p.score })), reference);
    }
    console.log(`${'approach'.padEnd(46)} ${'same top-10'.padStart(12)} ${'overlap@10'.padStart(11)} ${'top-1 same'.padStart(11)} ${'max |Δscore|'.padStart(13)}`);
    for (const [name, label] of [
      ['exact', 'QdrantStore (client tf, idf weights, rescoring)'],
      ['idf', 'sparse modifier "idf", client tf, no rescoring'],
      ['inference', 'server-side qdrant/bm25 inference'],
    ] as const) {
      const r = rows[name];
      console.log(
        `${label.padEnd(46)} ${`${((r.identical / r.n) * 100).toFixed(1)} %`.padStart(12)} ${`${((r.overlap / r.n) * 100).toFixed(1)} %`.padStart(11)} ${`${((r.top1 / r.n) * 100).toFixed(1)} %`.padStart(11)} ${r.maxDelta.toExponential(2).padStart(13)}`,
      );
    }
    await store.close();
  } finally {
    await server.stop();
  }
}

class Stats {
  n = 0;
  identical = 0;
  overlap = 0;
  top1 = 0;
  maxDelta = 0;
  add(want: [string, number][], got: { id: string; score: number }[], reference: Map<string, number>): void {
    this.n++;
    const wantIds = want.map(([id]) => id);
    const gotIds = got.map((h) => h.id);
    if (JSON.stringify(wantIds) === JSON.stringify(gotIds)) this.identical++;
    this.overlap += gotIds.filter((id) => wantIds.includes(id)).length / wantIds.length;
    if (gotIds[0] === wantIds[0]) this.top1++;
    for (const h of got) this.maxDelta = Math.max(this.maxDelta, Math.abs(h.score - (reference.get(h.id) ?? 0)));
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
