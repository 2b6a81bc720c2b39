import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { ListenError, socketAddress, startServer } from './server.js';

describe('startServer', () => {
  it('serves on a loopback port and reports the client address', async () => {
    const app = new Hono().get('/who', (c) => c.text(socketAddress(c) ?? 'unknown'));
    const server = await startServer(app, { host: '127.0.0.1', port: 0 });
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      expect(await (await fetch(`${server.url}/who`)).text()).toBe('127.0.0.1');
    } finally {
      await server.close();
    }
  });

  it('lets a request in flight finish on close, then refuses new connections', async () => {
    let release: () => void = () => undefined;
    const app = new Hono().get('/slow', async (c) => {
      await new Promise<void>((r) => (release = r));
      return c.text('done');
    });
    const server = await startServer(app, { host: '127.0.0.1', port: 0 });
    const inFlight = fetch(`${server.url}/slow`);
    await new Promise((r) => setTimeout(r, 100));
    const closed = server.close();
    setTimeout(() => release(), 100);
    const res = await inFlight;
    expect(await res.text()).toBe('done');
    await closed;
    await expect(fetch(`${server.url}/slow`)).rejects.toThrow();
  });

  it('says which port is taken and how to choose another', async () => {
    const first = await startServer(new Hono(), { host: '127.0.0.1', port: 0 });
    try {
      const error = await startServer(new Hono(), { host: '127.0.0.1', port: first.port }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ListenError);
      expect((error as Error).message).toMatch(new RegExp(`127\\.0\\.0\\.1:${first.port}: the port is in use.*PORT`));
    } finally {
      await first.close();
    }
  });
});
