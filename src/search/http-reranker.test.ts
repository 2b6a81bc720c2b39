import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RerankCandidate } from '../ports/reranker.js';
import { HttpReranker, RerankRequestError } from './http-reranker.js';
import { CrossEncoderReranker } from './cross-encoder-reranker.js';

const candidates: RerankCandidate[] = ['alpha passage', 'beta passage about GQA', 'gamma'].map((text, i) => ({
  chunk: { id: `c${i}`, file: 'f.md', start: 0, end: 1, text, embedText: text, section: [], lang: 'en', kind: 'section', footnotes: [] },
  vector: undefined,
  fused: 1 / (i + 1),
}));
const query = { text: 'what is GQA', lang: 'en', terms: ['gqa'], vector: new Float32Array(4) };

let server: Server;
let base: string;
const seen: { path: string; body: Record<string, unknown>; auth: string | undefined }[] = [];

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  let s = '';
  for await (const chunk of req) s += String(chunk);
  return JSON.parse(s) as Record<string, unknown>;
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const b = await body(req);
    seen.push({ path: req.url ?? '', body: b, auth: req.headers.authorization });
    res.setHeader('content-type', 'application/json');
    if (req.url === '/tei') res.end(JSON.stringify([{ index: 1, score: 0.9 }, { index: 0, score: 0.2 }, { index: 2, score: 0.1 }]));
    else if (req.url === '/cohere') res.end(JSON.stringify({ results: [{ index: 2, relevance_score: 0.8 }, { index: 1, relevance_score: 0.5 }, { index: 0, relevance_score: 0.1 }] }));
    else if (req.url === '/bad') res.end(JSON.stringify({ results: [{ index: 7, relevance_score: 1 }] }));
    else {
      res.statusCode = 503;
      res.end('{}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('HttpReranker', () => {
  it('speaks TEI: {query, texts} → [{index, score}]', async () => {
    const r = await new HttpReranker({ url: `${base}/tei` }).rerank(query, candidates);
    expect(r.map((x) => x.id)).toEqual(['c1', 'c0', 'c2']);
    expect(seen.at(-1)?.body).toMatchObject({ query: 'what is GQA', texts: ['alpha passage', 'beta passage about GQA', 'gamma'] });
  });
  it('speaks Cohere / Jina with a model and a key', async () => {
    const r = await new HttpReranker({ url: `${base}/cohere`, model: 'rerank-v3.5', apiKey: 'k' }).rerank(query, candidates);
    expect(r.map((x) => x.id)).toEqual(['c2', 'c1', 'c0']);
    expect(seen.at(-1)).toMatchObject({ body: { model: 'rerank-v3.5', documents: ['alpha passage', 'beta passage about GQA', 'gamma'] }, auth: 'Bearer k' });
  });
  it('fails with a clear error on HTTP errors and malformed scores', async () => {
    await expect(new HttpReranker({ url: `${base}/down` }).rerank(query, candidates)).rejects.toThrow(/rerank request to .*\/down failed: HTTP 503/);
    await expect(new HttpReranker({ url: `${base}/bad` }).rerank(query, candidates)).rejects.toBeInstanceOf(RerankRequestError);
  });
});

describe('CrossEncoderReranker', () => {
  it('says which model is missing and how to go on without it', async () => {
    const r = new CrossEncoderReranker({ model: 'nobody/missing-cross-encoder', modelPath: '/nonexistent' });
    await expect(r.rerank(query, candidates)).rejects.toThrow(/nobody\/missing-cross-encoder.*QBANK_RERANKER=heuristic/s);
  });
});
