import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../src/config.js';
import { packageRoot } from '../src/util/package-root.js';
import { QDRANT_VERSION, qdrantUnavailableReason, startQdrant, type QdrantServer } from './support/qdrant-server.js';

const run = promisify(execFile);
const root = packageRoot();
const read = (file: string) => readFileSync(join(root, file), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval: string; timeout: string; retries: number; start_period: string };
}

/**
 * No Docker engine runs here, so the stack is checked by structure, and the two healthcheck
 * commands are run for real: Qdrant's against the pinned Qdrant binary, qbank's against a stub.
 */
describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
  const qdrant = compose.services['qdrant'] as Service;
  const qbank = compose.services['qbank'] as Service;

  it('runs the Qdrant release the tests run, on a named volume', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['qbank', 'qdrant']);
    expect(qdrant.image).toBe(`qdrant/qdrant:v${QDRANT_VERSION}`);
    const [volume, mount] = (qdrant.volumes?.[0] ?? '').split(':');
    expect(mount).toBe('/qdrant/storage');
    expect(Object.keys(compose.volumes)).toContain(volume);
    expect(qdrant.healthcheck?.test.join(' ')).toContain('/readyz');
  });

  it('builds qbank from the Dockerfile and starts it once Qdrant is healthy, configured for it', () => {
    expect(qbank.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
    expect(qbank.depends_on).toEqual({ qdrant: { condition: 'service_healthy' } });
    expect(qbank.ports).toContain('8787:8787');
    const [volume] = (qbank.volumes?.[0] ?? '').split(':');
    expect(Object.keys(compose.volumes)).toContain(volume);
    const env = qbank.environment ?? {};
    expect(env).toMatchObject({ QBANK_STORE: 'qdrant', QDRANT_URL: 'http://qdrant:6333' });
    // The environment is a valid qbank configuration that points at the qdrant service.
    const config = loadConfig({}, env, root);
    expect(config.store).toMatchObject({ kind: 'qdrant', url: 'http://qdrant:6333', collection: 'qbank', shardNumber: 1, replicationFactor: 1 });
    expect(config.server).toMatchObject({ host: '0.0.0.0', port: 8787 });
    expect(qbank.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:8787/readyz');
    expect(Number.parseInt(qbank.healthcheck?.start_period ?? '0', 10)).toBeGreaterThanOrEqual(60);
  });

  describe('healthcheck commands', () => {
    it("qbank's passes on 200 from /readyz and fails on 503 or no server", async () => {
      let status = 503;
      const server = createServer((req, res) => {
        res.writeHead(req.url === '/readyz' ? status : 404).end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      const [cmd, ...args] = (qbank.healthcheck?.test.slice(1) ?? []).map((a) => a.replace('127.0.0.1:8787', `127.0.0.1:${port}`));
      const exitCode = () => run(cmd as string, args).then(() => 0, (e: { code?: number }) => e.code ?? -1);
      try {
        expect(await exitCode()).toBe(1);
        status = 200;
        expect(await exitCode()).toBe(0);
      } finally {
        await new Promise((r) => server.close(r));
      }
      expect(await exitCode()).toBe(1);
    });

    const skip = qdrantUnavailableReason();
    describe.skipIf(skip !== undefined)("Qdrant's, against a real Qdrant", () => {
      let server: QdrantServer;
      beforeAll(async () => {
        server = await startQdrant();
      });
      afterAll(async () => {
        await server?.stop();
      });

      it('passes when Qdrant is ready and fails when it is gone', async () => {
        const [cmd, ...args] = (qdrant.healthcheck?.test.slice(1) ?? []).map((a) => a.replace('/127.0.0.1/6333', `/127.0.0.1/${server.httpPort}`));
        expect(cmd).toBe('bash');
        const exitCode = () => run(cmd as string, args).then(() => 0, (e: { code?: number }) => e.code ?? -1);
        expect(await exitCode()).toBe(0);
        await server.stop();
        expect(await exitCode()).not.toBe(0);
      });
    });
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'));
  const stages = instructions.filter((l) => l.startsWith('FROM '));
  const runs = instructions.filter((l) => l.startsWith('RUN ')).map((l) => l.slice(4));

  it('builds in a node:20-bookworm-slim stage and runs in a slim one, as a non-root user', () => {
    expect(stages).toHaveLength(2);
    for (const s of stages) expect(s).toMatch(/^FROM node:20-bookworm-slim\b/);
    const runtime = instructions.slice(instructions.indexOf(stages[1] as string));
    expect(runtime.some((l) => /^USER (node|\d{4,})$/.test(l))).toBe(true);
    expect(runtime.some((l) => l.startsWith('HEALTHCHECK') && l.includes('/readyz'))).toBe(true);
    expect(runtime.some((l) => l.startsWith('EXPOSE 8787'))).toBe(true);
  });

  it('installs and builds with the commands CI runs, and starts what `npm start` starts', () => {
    const ci = read('.ci/run');
    expect(ci).toMatch(/^npm ci\b/m);
    const installAt = runs.findIndex((r) => /(^|&& )npm ci\b/.test(r));
    const buildAt = runs.findIndex((r) => r.trim() === 'npm run build');
    expect(installAt).toBeGreaterThanOrEqual(0);
    expect(buildAt).toBeGreaterThan(installAt);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts['build']).toBeDefined();
    expect(pkg.scripts['prepare']).toBe('npm run build');
    // The .npmrc that skips onnxruntime's CUDA download goes in with the lockfile.
    expect(instructions.find((l) => l.startsWith('COPY package.json'))).toContain('.npmrc');
    const cmd = instructions.find((l) => l.startsWith('CMD '));
    expect(JSON.parse((cmd ?? 'CMD []').slice(4)).join(' ')).toBe(pkg.scripts['start']);
  });

  it('keeps node_modules and build output out of the context but not what the image needs', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const p of ['node_modules', 'dist', '.qbank', '.git']) expect(ignored).toContain(p);
    for (const needed of ['corpus', 'data', 'src', 'src/web', 'bin', 'package-lock.json', '.npmrc', 'tsconfig.json', 'tsconfig.build.json']) {
      expect(ignored.some((p) => p === needed || needed.startsWith(`${p}/`))).toBe(false);
    }
  });
});
