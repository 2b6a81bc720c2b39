import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../src/cli/main.js';
import { createCachedEmbedder, createSearcher, createStudyService, openStore } from '../../src/compose.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Store } from '../../src/ports/store.js';
import type { StudyService } from '../../src/study/study-service.js';
import { packageRoot } from '../../src/util/package-root.js';
import { formatGradingReport, gradingReport, GRADED_ATTEMPTS, type GradingReport } from '../../eval/grading-report.js';
import { loadGradedAttempts } from '../../eval/graded-attempts.js';

// Study mode with the real embedding model (the bundled all-MiniLM-L6-v2) on the real corpus,
// over an index built the way `qbank ingest` builds it. Passage embeddings are cached across runs.
const root = packageRoot();
const cacheDir = join(root, 'node_modules', '.cache', 'qbank-test');
let tmp: string;
let env: Record<string, string>;
let config: Config;
let store: Store;
let close: () => Promise<void>;
let study: StudyService;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'qbank-study-'));
  env = { QBANK_DATA_DIR: cacheDir, QBANK_INDEX: join(tmp, 'index.sqlite') };
  config = loadConfig({}, env);
  await runIngest(config, { rebuild: false });
  const embedder = createCachedEmbedder(config);
  store = await openStore(config, embedder, { readonly: true });
  study = createStudyService(config, store, createSearcher(config, store, embedder), embedder);
  close = async () => {
    await store.close();
    await embedder.close?.();
  };
}, 300_000);

afterAll(async () => {
  await close?.();
  rmSync(tmp, { recursive: true, force: true });
});

describe('grading with the real model', () => {
  let report: GradingReport;
  beforeAll(async () => {
    report = await gradingReport(study, loadGradedAttempts(GRADED_ATTEMPTS));
    console.log(formatGradingReport(report));
  }, 300_000);

  it('orders good > partial > wrong for at least 90% of the questions of eval/datasets/graded-attempts.jsonl', () => {
    expect(report.rows.length).toBeGreaterThanOrEqual(10);
    expect(report.orderedShare).toBeGreaterThanOrEqual(0.9);
    expect(report.means.good).toBeGreaterThan(report.means.partial);
    expect(report.means.partial).toBeGreaterThan(report.means.wrong);
  });

  it('grades a reworded list question against the bank\'s answer to the same question', async () => {
    const q = (await study.catalogue.questions()).find((x) => x.title === 'What is FlashAttention and how does it work?');
    expect(q?.hasModelAnswer).toBe(false);
    const g = await study.grade({ questionId: q?.id ?? '', answer: 'It tiles attention so the big score matrix never goes to HBM and stays in on-chip SRAM, which saves memory traffic.' });
    expect(g.reference).toMatchObject({ kind: 'related-question' });
    expect(g.reference.title).toMatch(/FlashAttention|Flash Attention/);
    expect(g.gradable).toBe(true);
  });
});

describe('qbank quiz with piped stdin', () => {
  /** Runs the built CLI (bin/qbank.js → dist/) with `input` on its stdin, as a pipe: no TTY. */
  function qbank(args: string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(root, 'bin', 'qbank.js'), ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(input);
    });
  }

  it('runs a drill: question, multi-line answer, score, covered and missed points with sources, model answer, follow-ups; q quits', async () => {
    expect(existsSync(join(root, 'dist', 'src', 'cli', 'quiz.js')), 'build first: npm run build').toBe(true);
    const answer = ['Reward hacking is when the policy exploits the reward model to get high scores', 'without actually being better, for example by writing long confident answers.', 'A KL penalty keeps the policy close to the SFT model.', '', 'q', ''].join('\n');
    const r = await qbank(['quiz', '--category', 'RLHF', '--difficulty', 'medium', '--seed', '3'], answer);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Question 1 \(\d+ left\) — Category 4 — RLHF & Alignment · Medium/);
    expect(r.stdout).toMatch(/^Score: \d+% \(coverage \d+%, precision \d+%\)$/m);
    expect(r.stdout).toMatch(/^Missed \(\d+\):$/m);
    expect(r.stdout).toMatch(/003_2c438f64575affed\.txt \[\d+–\d+\]/);
    expect(r.stdout).toMatch(/^Model answer:$/m);
    expect(r.stdout).toMatch(/^Follow-up questions:$/m);
    expect(r.stdout).toMatch(/Question 2 \(\d+ left\)/);
    expect(r.stdout).toMatch(/1 answer graded, mean score \d+%\. Seen: 2 questions \(--exclude q_[0-9a-f]{16},q_[0-9a-f]{16}\)/);
  }, 120_000);

  it('says which filter matches nothing, with exit code 2', async () => {
    const r = await qbank(['quiz', '--category', 'astrology'], '');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/No question of the bank matches category "astrology"/);
  }, 60_000);
});
