import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/util/package-root.js';

const run = promisify(execFile);
const root = packageRoot();
const bin = join(root, 'bin', 'qbank.js');
let dataDir: string;

/** The real CLI with the real model on the real corpus: what a user does after `npm install`. */
async function qbank(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args, '--data-dir', dataDir], { maxBuffer: 16 * 1024 * 1024 });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'qbank-cli-'));
  const r = await qbank('ingest');
  expect(r.code, r.stderr).toBe(0);
}, 300_000);

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('qbank CLI on the real corpus', () => {
  it('re-ingests an unchanged corpus without embedding or writing anything', async () => {
    const r = await qbank('ingest', '--quiet');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Index is up to date: 5 files, \d+ chunks\. Nothing was embedded or written/);
  });

  it('finds the GQA/MQA question first and prints the JSON of the search endpoint', async () => {
    const r = await qbank('search', 'explain GQA vs MQA', '--k', '5', '--json');
    expect(r.code, r.stderr).toBe(0);
    const body = JSON.parse(r.stdout) as { query: string; results: { id: string; score: number; text: string; source: { file: string; start: number; end: number; title?: string; section: string[] }; scores: Record<string, number> }[] };
    expect(body.query).toBe('explain GQA vs MQA');
    expect(body.results).toHaveLength(5);
    const [top] = body.results;
    expect(top?.source).toMatchObject({ file: '002_bedc587ae5620290.txt', title: 'Q9. What are Multi-Query Attention (MQA) and Grouped-Query Attention (GQA)?', section: ['Architecture and Training (All Levels)'] });
    expect(Object.keys(top?.scores ?? {}).sort()).toEqual(['bm25', 'dense', 'fused', 'rerank']);
    for (const res of body.results) {
      const original = readFileSync(join(root, 'corpus', res.source.file), 'utf8').slice(res.source.start, res.source.end);
      expect(original.length).toBeGreaterThan(0);
      expect(original).toContain(res.text.split('\n')[0]?.slice(0, 30).replace(/^[-•] /, '') ?? '');
    }
  });

  it('answers a German question from the English passages', async () => {
    const r = await qbank('search', 'Was ist der Unterschied zwischen LoRA und QLoRA?', '--json');
    const body = JSON.parse(r.stdout) as { lang: string; translated?: string; results: { source: { title?: string } }[] };
    expect(body.lang).toBe('de');
    expect(body.translated).toMatch(/lora/i);
    expect(body.results.slice(0, 3).some((x) => /QLoRA/.test(x.source.title ?? ''))).toBe(true);
  });

  it('applies filters', async () => {
    const r = await qbank('search', 'attention', '--difficulty', 'hard', '--json');
    const body = JSON.parse(r.stdout) as { results: { meta: { difficulty?: string } }[] };
    expect(body.results.length).toBeGreaterThan(0);
    expect(body.results.every((x) => x.meta.difficulty?.toLowerCase() === 'hard')).toBe(true);
  });

  it('refuses bad input with a clear message and exit code 2', async () => {
    expect((await qbank('search', '--k', '0', 'x')).stderr).toMatch(/--k must be a whole number from 1 to 100/);
    expect((await qbank('search', '--mode', 'magic', 'x')).code).toBe(2);
    const empty = await qbank('search', '   ');
    expect(empty.code).toBe(2);
    expect((await qbank('frobnicate')).stderr).toMatch(/unknown command "frobnicate"/);
  });

  it('names both embedders and the rebuild command when the index was built with another one', async () => {
    const r = await run(process.execPath, [bin, 'search', 'x', '--data-dir', dataDir], { env: { ...process.env, QBANK_EMBED_DTYPE: 'q8' } }).catch((e: { stderr: string; code: number }) => e);
    expect((r as { code: number }).code).toBe(1);
    expect((r as { stderr: string }).stderr).toMatch(/built with embedder "transformers:onnx-community\/all-MiniLM-L6-v2-ONNX:q4".*configured for "transformers:onnx-community\/all-MiniLM-L6-v2-ONNX:q8".*npx qbank ingest --rebuild/s);
  });
});
