import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAIEmbedder } from './openai-embedder.js';

let server: Server;
let base: string;
const requests: { body: { model: string; input: string[]; encoding_format?: string }; auth: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += String(c)));
    req.on('end', () => {
      const body = JSON.parse(raw) as { model: string; input: string[] | string; encoding_format?: string };
      const input = Array.isArray(body.input) ? body.input : [body.input];
      requests.push({ body: { ...body, input }, auth: req.headers.authorization });
      res.setHeader('content-type', 'application/json');
      if (body.model === 'broken') {
        res.statusCode = 400;
        res.end(JSON.stringify({ error: { message: 'no such model' } }));
        return;
      }
      const dims = body.model === 'wrong-size' ? 3 : 4;
      res.end(JSON.stringify({ object: 'list', model: body.model, data: input.map((t, index) => ({ object: 'embedding', index, embedding: Array.from({ length: dims }, (_, i) => (t.length % 7) + i + 1) })), usage: { prompt_tokens: 1, total_tokens: 1 } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('OpenAIEmbedder against an OpenAI-compatible server', () => {
  it('sends float-encoded batches with the key and returns unit vectors in order', async () => {
    const e = new OpenAIEmbedder({ model: 'nomic-embed-text', baseURL: base, apiKey: 'secret', dimensions: 4, maxBatchSize: 2 });
    const vectors = await e.embed(['a', 'bb', 'ccc'], 'passage');
    expect(vectors).toHaveLength(3);
    for (const v of vectors) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    expect(requests.at(-1)?.auth).toBe('Bearer secret');
    expect(requests.every((r) => r.body.encoding_format === 'float' && r.body.model === 'nomic-embed-text')).toBe(true);
    expect(requests.map((r) => r.body.input.length)).toEqual([2, 1]);
    expect(e.id).toBe(`openai:${base}:nomic-embed-text`);
  });
  it('refuses vectors of another size than configured', async () => {
    await expect(new OpenAIEmbedder({ model: 'wrong-size', baseURL: base, dimensions: 4 }).embed(['x'], 'query')).rejects.toThrow(/returned 3-dimensional vectors but is configured as 4/);
  });
  it('wraps server errors with the model name', async () => {
    await expect(new OpenAIEmbedder({ model: 'broken', baseURL: base, dimensions: 4 }).embed(['x'], 'query')).rejects.toThrow(/embedding server for "broken" failed/);
  });
});
