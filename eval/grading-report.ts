import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { createCachedEmbedder, createSearcher, createStudyService, openStore } from '../src/compose.js';
import { loadConfig } from '../src/config.js';
import type { StudyService } from '../src/study/study-service.js';
import { packageRoot } from '../src/util/package-root.js';
import { findQuestion, loadGradedAttempts, type AttemptLevel, type GradedAttempt } from './graded-attempts.js';

/** One bank question's three attempts, scored. */
export interface GradingRow {
  file: string;
  title: string;
  split: GradedAttempt['split'];
  scores: Partial<Record<AttemptLevel, number>>;
  /** good > partial > wrong, strictly. */
  ordered: boolean;
}

export interface GradingReport {
  rows: GradingRow[];
  /** Share of questions whose three scores are ordered good > partial > wrong. */
  orderedShare: number;
  /** The same share on each split of the dataset. */
  bySplit: Partial<Record<GradedAttempt['split'], { ordered: number; questions: number }>>;
  /** Mean score per level. */
  means: Record<AttemptLevel, number>;
  grader: 'offline' | 'llm';
}

/** The default dataset. */
export const GRADED_ATTEMPTS = join(packageRoot(), 'eval', 'datasets', 'graded-attempts.jsonl');

/** Grades every attempt and checks, per question, that good > partial > wrong. */
export async function gradingReport(study: StudyService, attempts: readonly GradedAttempt[], grader: 'offline' | 'llm' = 'offline'): Promise<GradingReport> {
  const questions = await study.catalogue.questions();
  const byQuestion = new Map<string, GradingRow>();
  for (const a of attempts) {
    const q = findQuestion(questions, a.question);
    if (!q) throw new Error(`Attempt ${a.id}: no question "${a.question.title}" with a model answer in ${a.question.file}; fix the dataset or re-ingest.`);
    const grade = await study.grade({ questionId: q.id, answer: a.answer, grader });
    const row = byQuestion.get(q.id) ?? { file: q.file, title: q.title, split: a.split, scores: {}, ordered: false };
    row.scores[a.level] = grade.score;
    byQuestion.set(q.id, row);
  }
  const rows = [...byQuestion.values()];
  for (const r of rows) {
    const { good, partial, wrong } = r.scores;
    r.ordered = good !== undefined && partial !== undefined && wrong !== undefined && good > partial && partial > wrong;
  }
  const mean = (level: AttemptLevel) => {
    const xs = rows.map((r) => r.scores[level]).filter((x): x is number => x !== undefined);
    return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0;
  };
  const bySplit: GradingReport['bySplit'] = {};
  for (const r of rows) {
    const s = (bySplit[r.split] ??= { ordered: 0, questions: 0 });
    s.questions += 1;
    if (r.ordered) s.ordered += 1;
  }
  return { rows, orderedShare: rows.length ? rows.filter((r) => r.ordered).length / rows.length : 0, bySplit, means: { good: mean('good'), partial: mean('partial'), wrong: mean('wrong') }, grader };
}

export function formatGradingReport(r: GradingReport): string {
  const head = `${'question'.padEnd(64)} ${'good'.padStart(6)} ${'partial'.padStart(8)} ${'wrong'.padStart(6)}  ordered`;
  const fmt = (x: number | undefined, w: number) => (x === undefined ? '–' : x.toFixed(3)).padStart(w);
  const lines = r.rows.map((row) => {
    const title = `${row.split === 'calibration' ? ' ' : '*'}${row.file.slice(0, 3)} ${row.title}`;
    return `${(title.length > 64 ? `${title.slice(0, 63)}…` : title).padEnd(64)} ${fmt(row.scores.good, 6)} ${fmt(row.scores.partial, 8)} ${fmt(row.scores.wrong, 6)}  ${row.ordered ? 'yes' : 'NO'}`;
  });
  const ordered = r.rows.filter((x) => x.ordered).length;
  return [
    head,
    '-'.repeat(head.length),
    ...lines,
    '-'.repeat(head.length),
    `${'mean'.padEnd(64)} ${fmt(r.means.good, 6)} ${fmt(r.means.partial, 8)} ${fmt(r.means.wrong, 6)}`,
    `ordered good > partial > wrong: ${ordered}/${r.rows.length} questions = ${r.orderedShare.toFixed(3)} (target ≥ 0.9; grader ${r.grader})`,
    ...Object.entries(r.bySplit).map(([split, s]) => `  ${split.padEnd(12)} ${s.ordered}/${s.questions} = ${(s.ordered / s.questions).toFixed(3)}${split === 'calibration' ? '' : ' (* above: written after the defaults were chosen)'}`),
  ].join('\n');
}

/** `npm run eval:grading [-- --dataset PATH --grader offline|llm]`: over the index `qbank ingest` built, with the configured model. */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { dataset: { type: 'string' }, grader: { type: 'string' } } });
  const grader = values.grader === 'llm' ? 'llm' : 'offline';
  const config = loadConfig();
  const embedder = createCachedEmbedder(config);
  const store = await openStore(config, embedder, { readonly: true });
  try {
    const study = createStudyService(config, store, createSearcher(config, store, embedder), embedder);
    const report = await gradingReport(study, loadGradedAttempts(values.dataset ?? GRADED_ATTEMPTS), grader);
    console.log(`Graded attempts with embedder ${embedder.id} (index ${config.store.kind === 'sqlite' ? config.store.path : config.store.url}).\n`);
    console.log(formatGradingReport(report));
  } finally {
    await store.close();
    await embedder.close?.();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
