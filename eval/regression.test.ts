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
 * measured when they were set (in brackets: dev.jsonl with 207 items, all-MiniLM-L6-v2 q4), so
 * that a regression fails and noise does not. Raise them when the system improves.
 */
const FLOORS = {
  'hybrid+rerank': { 'hit@1': 0.79, 'recall@5': 0.94, 'mrr@10': 0.86, 'ndcg@10': 0.89, 'cp@5': 0.84 }, // [0.827 0.965 0.890 0.913 0.867]
  'hybrid (RRF)': { 'hit@1': 0.72, 'recall@5': 0.93, 'mrr@10': 0.81 }, // [0.757 0.962 0.844]
  bm25: { 'hit@1': 0.64, 'recall@5': 0.9, 'mrr@10': 0.75 }, // [0.676 0.935 0.788]
  dense: { 'hit@1': 0.65, 'recall@5': 0.85, 'mrr@10': 0.74 }, // [0.686 0.886 0.773]
} as const;
const ABSTENTION = { minRecall: 0.4, maxFalseAbstainRate: 0.03 }; // [0.500 on 22 unanswerable, 0.000]
const ANSWERS = { citationValidity: 1, faithfulness: 0.95, answerRelevancy: 0.48 }; // [1.000 1.000 0.511]

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
