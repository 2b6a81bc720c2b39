import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { packageRoot } from '../src/util/package-root.js';
import { createProgress } from './progress.js';
import { renderHtml } from './report-html.js';
import { formatReport } from './report-text.js';
import type { EvalReport } from './report.js';
import { runEval } from './run.js';

/**
 * `npm run eval:ci`: the dev set through the real pipeline (local embedding model, real index),
 * failing the build when a figure drops below its floor. Floors sit a little below the figures
 * measured when they were set (in brackets), so that a regression fails and noise does not.
 * Raise them when the system improves.
 */
const FLOORS = {
  'hybrid+rerank': { 'hit@1': 0.78, 'recall@5': 0.94, 'mrr@10': 0.85, 'ndcg@10': 0.88, 'cp@5': 0.83 }, // [0.817 0.966 0.884 0.910 0.861]
  'hybrid (RRF)': { 'hit@1': 0.71, 'recall@5': 0.93, 'mrr@10': 0.81 }, // [0.754 0.963 0.841]
  bm25: { 'hit@1': 0.64, 'recall@5': 0.9, 'mrr@10': 0.75 }, // [0.680 0.934 0.788]
  dense: { 'hit@1': 0.64, 'recall@5': 0.85, 'mrr@10': 0.73 }, // [0.680 0.883 0.765]
} as const;
const ABSTENTION = { minRecall: 0.4, maxFalseAbstainRate: 0.03 }; // [0.500, 0.000]
const ANSWERS = { citationValidity: 1, faithfulness: 0.9, answerRelevancy: 0.55 };

describe('eval:ci — dev set regression floors', () => {
  let report: EvalReport;
  beforeAll(async () => {
    const root = packageRoot();
    const config = loadConfig();
    report = await runEval(
      config,
      { datasets: [{ name: 'dev', path: join(root, 'eval', 'datasets', 'dev.jsonl') }], ks: [1, 3, 5, 10], rrfKs: [], chunkVariants: [], baseline: false, answers: true },
      createProgress(process.env['CI'] ? undefined : process.stderr),
    );
    const out = join(root, 'artifacts', 'eval-ci');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(out, 'report.html'), renderHtml(report));
    console.log(formatReport(report));
  }, 900_000);

  for (const [system, floors] of Object.entries(FLOORS)) {
    it(`${system} stays above its floors`, () => {
      const row = report.retrieval.find((r) => r.system === system);
      expect(row, `no row for ${system}`).toBeDefined();
      for (const [metric, floor] of Object.entries(floors)) expect(row?.metrics[metric], `${system} ${metric}`).toBeGreaterThanOrEqual(floor);
    });
  }

  it('abstains on unanswerable questions without refusing answerable ones', () => {
    const a = report.retrieval.find((r) => r.system === 'hybrid+rerank')?.abstention;
    expect(a?.recall).toBeGreaterThanOrEqual(ABSTENTION.minRecall);
    expect(a?.falseAbstainRate).toBeLessThanOrEqual(ABSTENTION.maxFalseAbstainRate);
  });

  it('extractive answers cite verbatim quotes and stay faithful and on topic', () => {
    const a = report.answers.find((r) => r.answerer === 'extractive');
    expect(a?.metrics['citationValidity']).toBeGreaterThanOrEqual(ANSWERS.citationValidity);
    expect(a?.metrics['faithfulness']).toBeGreaterThanOrEqual(ANSWERS.faithfulness);
    expect(a?.metrics['answerRelevancy']).toBeGreaterThanOrEqual(ANSWERS.answerRelevancy);
  });
});
