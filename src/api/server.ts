import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, Hono } from 'hono';
import { QbankError } from '../errors.js';

/** A listening server; `close()` stops taking connections and waits for the open ones. */
export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The port is taken or the address cannot be bound. */
export class ListenError extends QbankError {
  constructor(readonly host: string, readonly port: number, reason: string, options?: { cause?: unknown }) {
    super('listen_failed', `Cannot listen on ${host}:${port}: ${reason}. Set PORT (or --port) to a free port, or HOST (or --host) to an address of this machine.`, options);
  }
}

/**
 * Serves a Hono app over Node's HTTP server.
 *
 * @example
 * const server = await startServer(app, { host: '127.0.0.1', port: 8787 });
 * process.once('SIGTERM', () => server.close());
 */
export function startServer(app: Pick<Hono, 'fetch'>, options: { host: string; port: number; shutdownGraceMs?: number }): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: options.host, port: options.port }) as Server;
    // Slow clients must not hold a connection open forever.
    server.headersTimeout = 20_000;
    server.requestTimeout = 120_000;
    server.keepAliveTimeout = 5_000;
    server.once('error', (error: NodeJS.ErrnoException) => reject(new ListenError(options.host, options.port, error.code === 'EADDRINUSE' ? 'the port is in use' : error.message, { cause: error })));
    server.once('listening', () => {
      const { port } = server.address() as AddressInfo;
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      resolve({ url: `http://${host}:${port}`, port, close: () => closeServer(server, options.shutdownGraceMs ?? 10_000) });
    });
  });
}

/** Stops accepting, lets requests in flight finish for up to `graceMs`, then cuts what is left. */
function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    // A keep-alive connection whose last request just finished is idle: close it now rather than at its timeout.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    sweep.unref();
    server.close(() => {
      clearTimeout(timer);
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** The remote address of the socket a request came on, for per-client rate limits. */
export function socketAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}
