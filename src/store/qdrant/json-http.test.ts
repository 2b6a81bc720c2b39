import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonHttp, QdrantRequestError } from './json-http.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

describe('JsonHttp', () => {
  it("posts JSON without asking for compression and returns Qdrant's result", async () => {
    let seen: { encoding?: string | undefined; body?: string; key?: string | undefined } = {};
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen = { encoding: req.headers['accept-encoding'], body, key: req.headers['api-key'] as string | undefined };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result: { points: [1] }, status: 'ok' }));
      });
    });
    const http = new JsonHttp({ url, apiKey: 'secret' });
    expect(await http.post('/collections/x/points/query', { limit: 1 }, 'a query')).toEqual({ points: [1] });
    expect(seen).toEqual({ encoding: 'identity', body: '{"limit":1}', key: 'secret' });
    http.close();
  });

  it("turns Qdrant's error answers and unreachable servers into QdrantRequestError", async () => {
    const url = await serve((_req, res) => res.writeHead(400).end(JSON.stringify({ status: { error: 'Wrong input: bad vector' } })));
    const http = new JsonHttp({ url });
    const error = await http.post('/x', {}, 'a vector search').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QdrantRequestError);
    expect(error).toMatchObject({ status: 400, operation: 'a vector search', code: 'store_request_failed' });
    expect((error as Error).message).toBe(`Qdrant at ${url} refused a vector search (HTTP 400): Wrong input: bad vector.`);
    http.close();
    const down = new JsonHttp({ url: 'http://127.0.0.1:9', timeoutMs: 2000 });
    await expect(down.post('/x', {}, 'a lookup')).rejects.toMatchObject({ status: undefined, message: expect.stringMatching(/did not answer a lookup.*QDRANT_URL/) });
    down.close();
  });

  it('sends a request again on a new socket when the server dropped the kept-alive one', async () => {
    const served = new Map<Socket, number>();
    const url = await serve((req, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      // Like a server whose keep-alive timeout fired as the request arrived.
      if (n > 1) req.socket.destroy();
      else res.writeHead(200).end(JSON.stringify({ result: n }));
    });
    const http = new JsonHttp({ url });
    expect(await http.post('/x', {}, 'a')).toBe(1);
    expect(await http.post('/x', {}, 'b')).toBe(1);
    expect(served.size).toBe(2);
    http.close();
  });
});
