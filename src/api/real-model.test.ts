import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngest } from '../cli/main.js';
import { createApiRuntime, type ApiRuntime } from '../compose.js';
import { loadConfig, type Config } from '../config.js';
import { packageRoot } from '../util/package-root.js';
import { events, post } from '../../test/support/test-api.js';
import { AnswerSchema } from './schemas.js';

// End to end with the real embedding model (the bundled all-MiniLM-L6-v2) on the real corpus,
// built the way `qbank serve` builds it: ingest into a fresh data directory, then the API.
let config: Config;
let runtime: ApiRuntime;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'qbank-api-e2e-'));
  // A fresh index each run; the passage embeddings are cached across runs (keyed by content and model).
  config = loadConfig({ dataDir: join(packageRoot(), 'node_modules', '.cache', 'qbank-test') }, { QBANK_INDEX: join(dataDir, 'index.sqlite') });
  await runIngest(config, { rebuild: false });
  runtime = await createApiRuntime(config, { log: (m, e) => console.error(m, e) });
  await runtime.warmUp();
}, 300_000);

afterAll(async () => {
  await runtime?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the API with the real model', () => {
  it('is ready once the model is loaded', async () => {
    const res = await runtime.app.request('/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ready: true, detail: expect.stringContaining('261 chunks') as unknown });
  });

  it('answers "explain GQA vs MQA" with verified citations that quote the files exactly', async () => {
    const res = await runtime.app.request(...post('/v1/ask', { question: 'explain GQA vs MQA' }));
    expect(res.status).toBe(200);
    const answer = AnswerSchema.parse(await res.json());
    expect(answer.abstained).toBe(false);
    expect(answer.answer).toMatch(/GQA/);
    expect(answer.answer).toMatch(/MQA/);
    expect(answer.citations.length).toBeGreaterThan(0);
    for (const c of answer.citations) {
      const text = readFileSync(join(config.corpusDir, c.source.file), 'utf8');
      expect(text.slice(c.source.start, c.source.end)).toBe(c.quote);
      expect(c.verified).toBe(true);
      expect(answer.answer).toContain(`[${c.n}]`);
    }
    expect(answer.citations.some((c) => /GQA|Grouped-Query/.test(c.source.title ?? ''))).toBe(true);
  });

  it('streams the same answer as events', async () => {
    const list = await events(await runtime.app.request(...post('/v1/ask', { question: 'explain GQA vs MQA' }, { accept: 'text/event-stream' })));
    expect(list.at(-1)?.event).toBe('done');
    const done = AnswerSchema.parse(JSON.parse(list.at(-1)?.data ?? '{}'));
    expect(list.filter((e) => e.event === 'delta').map((e) => (JSON.parse(e.data) as { text: string }).text).join('')).toBe(done.answer);
    expect(done.citations.every((c) => c.verified)).toBe(true);
  });
});
