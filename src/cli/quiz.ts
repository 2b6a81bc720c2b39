import { createInterface } from 'node:readline';
import { loadConfig, type ConfigFlags } from '../config.js';
import { createCachedEmbedder, createSearcher, createStudyService, openStore } from '../compose.js';
import { InvalidInputError } from '../errors.js';
import { seededRandom } from '../study/seeded-random.js';
import type { Grade, GradedPoint, QuizRequest, StudyService } from '../study/study-service.js';
import { COMMON_FLAGS, intFlag, parseFlags } from './args.js';

/** What the drill needs: a study service, where answers come from and where the drill is printed. */
export interface DrillOptions {
  study: Pick<StudyService, 'quiz' | 'grade'>;
  /** Typed or piped answers, one line at a time. */
  input: NodeJS.ReadableStream;
  out: NodeJS.WritableStream;
  filter?: Omit<QuizRequest, 'exclude'>;
  grader?: 'offline' | 'llm';
  /** Ids already seen: not asked again. The drill adds every question it asks. */
  seen?: string[];
  /** Show "> " prompts (a terminal); piped input gets none. */
  prompts?: boolean;
}

export interface DrillResult {
  /** Ids of the questions seen, in order (those given as already seen first). */
  seen: string[];
  graded: { id: string; score: number }[];
  /** How the drill ended: `q`, the end of the input, or no question left. */
  ended: 'quit' | 'input-closed' | 'no-questions-left';
}

const QUIT = /^(q|quit|exit)$/i;
const SKIP = /^(s|skip)$/i;
const WIDTH = 96;

/**
 * An interactive drill: shows a question, reads a multi-line answer that ends with an empty line,
 * prints the score, the key points covered and missed (with citations), the model answer and the
 * bank's follow-ups, then the next question. `q` quits, `s` skips; the end of the input quits
 * after grading what was typed.
 *
 * @example
 * await runDrill({ study, input: process.stdin, out: process.stdout, filter: { category: 'RAG' } });
 */
export async function runDrill(options: DrillOptions): Promise<DrillResult> {
  const { study, out } = options;
  const seen = [...(options.seen ?? [])];
  const graded: DrillResult['graded'] = [];
  const rl = createInterface({ input: options.input, terminal: false, crlfDelay: Infinity });
  const lines = rl[Symbol.asyncIterator]();
  let ended: DrillResult['ended'] | undefined;
  try {
    for (let n = 1; ended === undefined; n++) {
      const { question, matching, remaining } = await study.quiz({ ...options.filter, exclude: seen });
      if (!question) {
        out.write(`\nYou have seen all ${matching} questions that match. Well done.\n`);
        ended = 'no-questions-left';
        break;
      }
      const meta = [question.category, question.difficulty, question.roles?.join(', '), question.file].filter(Boolean).join(' · ');
      out.write(`\n${'─'.repeat(60)}\nQuestion ${n} (${remaining} left) — ${meta}\n\n${wrap(question.title, '  ')}\n\n`);
      if (!question.hasModelAnswer) out.write('(The bank has no model answer for this one: it is graded against the closest question that has one, if any.)\n');
      out.write('Your answer (end with an empty line; "s" skips, "q" quits):\n');
      seen.push(question.id);

      const typed: string[] = [];
      let command: 'quit' | 'skip' | 'closed' | undefined;
      for (;;) {
        if (options.prompts) out.write(typed.length === 0 ? '> ' : '. ');
        const next = await lines.next();
        if (next.done) {
          command = 'closed';
          break;
        }
        const line = next.value.replace(/\s+$/, '');
        if (typed.length === 0 && QUIT.test(line.trim())) command = 'quit';
        else if (typed.length === 0 && SKIP.test(line.trim())) command = 'skip';
        else if (line.trim() === '' && typed.length > 0) break;
        else if (line.trim() !== '') typed.push(line);
        if (command) break;
      }
      if (command === 'quit') ended = 'quit';
      if (command === 'skip') out.write('Skipped.\n');
      if (typed.length > 0 && command !== 'quit') {
        try {
          const grade = await study.grade({ questionId: question.id, answer: typed.join('\n'), ...(options.grader ? { grader: options.grader } : {}) });
          out.write(formatGrade(grade));
          if (grade.gradable) graded.push({ id: question.id, score: grade.score });
        } catch (error) {
          if (!(error instanceof InvalidInputError)) throw error;
          out.write(`${error.message}\n`);
        }
      }
      if (command === 'closed') ended = 'input-closed';
    }
  } finally {
    rl.close();
  }
  const summary = graded.length > 0 ? `${graded.length} answer${graded.length === 1 ? '' : 's'} graded, mean score ${percent(graded.reduce((s, g) => s + g.score, 0) / graded.length)}. ` : '';
  out.write(`\n${summary}Seen: ${seen.length} question${seen.length === 1 ? '' : 's'}${seen.length > 0 ? ` (--exclude ${seen.join(',')})` : ''}\n`);
  return { seen, graded, ended: ended ?? 'quit' };
}

/** The grade as the drill prints it: score, covered and missed points with citations, model answer, follow-ups. */
export function formatGrade(g: Grade): string {
  const out: string[] = [''];
  if (!g.gradable) {
    out.push(`Not graded: ${g.reason ?? 'this question cannot be graded.'}`);
    if (g.related.length > 0) out.push('Closest questions with model answers:', ...g.related.map((r) => `  - ${r.title} (${r.file})`));
    return `${out.join('\n')}\n`;
  }
  const parts = [g.coverage !== undefined ? `coverage ${percent(g.coverage)}` : '', g.precision !== undefined ? `precision ${percent(g.precision)}` : '', g.grader === 'llm' ? 'judged by the language model' : ''].filter(Boolean);
  out.push(`Score: ${percent(g.score)}${parts.length ? ` (${parts.join(', ')})` : ''}`);
  if (g.fallback) out.push(`(The language model failed: ${g.fallback.reason}; graded offline.)`);
  if (g.reference.kind === 'related-question') out.push(`Graded against the closest question with a model answer: "${g.reference.title ?? ''}" (${g.reference.file ?? ''}).`);
  if (g.covered.length > 0) {
    out.push('', `Covered (${g.covered.length}):`);
    for (const p of g.covered) out.push(wrap(`✓ ${p.text}`, '  ', '    '), ...(p.matched ? [wrap(`your words: "${p.matched}"`, '      ')] : []));
  }
  if (g.missed.length > 0) {
    out.push('', `Missed (${g.missed.length}):`);
    for (const p of g.missed) out.push(wrap(`✗ ${p.text}`, '  ', '    '), `      ${where(p)}`);
  }
  if (g.modelAnswer) out.push('', 'Model answer:', wrap(g.modelAnswer.text, '  '));
  if (g.followUps.length > 0) out.push('', 'Follow-up questions:', ...g.followUps.map((f) => wrap(`- ${f}`, '  ', '    ')));
  return `${out.join('\n')}\n`;
}

function where(p: GradedPoint): string {
  const c = p.citation;
  return `${c.file} [${c.start}–${c.end}]${c.title ? ` — ${c.title}` : ''}`;
}

function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/** Wraps text at WIDTH columns, each paragraph's first line after `first`, the rest after `rest`. */
function wrap(text: string, first: string, rest: string = first): string {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    let prefix = first;
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line && prefix.length + line.length + 1 + word.length > WIDTH) {
        out.push(prefix + line);
        line = word;
        prefix = rest;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(prefix + line);
  }
  return out.join('\n');
}

const FLAGS = {
  ...COMMON_FLAGS,
  category: { type: 'string' },
  difficulty: { type: 'string' },
  lang: { type: 'string' },
  role: { type: 'string' },
  'with-answer': { type: 'boolean' },
  exclude: { type: 'string' },
  grader: { type: 'string' },
  seed: { type: 'string' },
} as const;

export const QUIZ_HELP = `qbank quiz — drill questions of the bank and grade your answers

Usage:
  qbank quiz [--category C] [--difficulty D] [--lang L] [--role R] [--with-answer]
             [--exclude id1,id2] [--grader offline|llm] [--seed N]

Each question waits for your answer; end it with an empty line. "s" skips, "q" quits.
You get a score, the key points of the bank's model answer you covered and missed (with
their sources), the model answer and the bank's follow-up questions. At the end the seen
ids are printed for --exclude next time. Answers can be piped: qbank quiz < answers.txt
`;

/** `qbank quiz`: the drill on stdin/stdout over the configured index. */
export async function quizCommand(argv: string[], io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream }, input: NodeJS.ReadableStream = process.stdin): Promise<number> {
  const { values, positionals } = parseFlags(argv, FLAGS);
  if (values.help) {
    io.out.write(QUIZ_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new InvalidInputError(`qbank quiz takes no arguments, only flags (got "${positionals.join(' ')}"). Run "qbank quiz --help".`);
  const grader = values.grader;
  if (grader !== undefined && grader !== 'offline' && grader !== 'llm') throw new InvalidInputError('--grader must be offline or llm.', 'grader');
  const flags: ConfigFlags = {};
  if (values.corpus) flags.corpus = values.corpus;
  if (values['data-dir']) flags.dataDir = values['data-dir'];
  if (values.store) flags.store = values.store;
  if (values.embedder) flags.embedder = values.embedder;
  const config = loadConfig(flags);
  const embedder = createCachedEmbedder(config);
  const store = await openStore(config, embedder, { readonly: true });
  try {
    const random = values.seed !== undefined ? seededRandom(intFlag(values.seed, 'seed', 0, 2 ** 32 - 1, 0)) : undefined;
    const study = createStudyService(config, store, createSearcher(config, store, embedder), embedder, undefined, random);
    const filter: Omit<QuizRequest, 'exclude'> = { category: values.category, difficulty: values.difficulty, lang: values.lang, role: values.role };
    if (values['with-answer']) filter.hasModelAnswer = true;
    const options: DrillOptions = { study, input, out: io.out, filter, prompts: (input as NodeJS.ReadStream).isTTY === true };
    if (grader) options.grader = grader;
    if (values.exclude) options.seen = values.exclude.split(',').map((s) => s.trim()).filter(Boolean);
    await runDrill(options);
    return 0;
  } finally {
    await store.close();
    await embedder.close?.();
  }
}
