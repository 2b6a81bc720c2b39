import type { Embedder } from '../ports/embedder.js';
import type { Store } from '../ports/store.js';
import type { QueryTranslator, Searcher } from '../search/searcher.js';
import { InvalidInputError, LlmError } from '../errors.js';
import { detectLanguage } from '../lang/detect-language.js';
import { dot } from '../util/dot.js';
import { coverageOf, DEFAULT_GRADING, fBeta, gradeAgainstPoints, type GradingThresholds } from './coverage.js';
import { embedInBatches } from './embed-in-batches.js';
import type { KeyPointSource } from './key-points.js';
import { checkVerdicts, type LlmJudge } from './llm-judge.js';
import { QuestionCatalogue, toQuizQuestion, type CatalogueQuestion, type QuizQuestion } from './question-catalogue.js';

/** Longest answer that is graded, in characters. */
export const MAX_ANSWER_CHARS = 5000;

/**
 * Which questions a quiz may pick; every field narrows.
 *
 * @example
 * await study.quiz({ category: 'RAG', difficulty: 'Medium', exclude: seen });
 */
export interface QuizRequest {
  /** Case-insensitive substring of a heading of the question's category path. */
  category?: string | undefined;
  /** Easy, Medium or Hard (case-insensitive). Only questions with a model answer carry one. */
  difficulty?: string | undefined;
  /** Case-insensitive substring of one of the question's roles ("AI Eng", "MLE"). */
  role?: string | undefined;
  /** Language code: en, de. */
  lang?: string | undefined;
  /** Only questions with (true) or without (false) a model answer. */
  hasModelAnswer?: boolean | undefined;
  /** Ids of questions already seen. */
  exclude?: readonly string[] | undefined;
}

export interface QuizResponse {
  /** A question not in `exclude`, or null when every matching question was excluded. */
  question: QuizQuestion | null;
  /** Questions matching the filters. */
  matching: number;
  /** Matching questions not excluded, before this pick. */
  remaining: number;
}

export interface GradeRequest {
  questionId: string;
  answer: string;
  /** Who judges coverage: the configured language model (default when there is one) or the offline matcher. */
  grader?: 'offline' | 'llm' | undefined;
}

/** A key point of the model answer, with whether the answer covered it. */
export interface GradedPoint {
  index: number;
  /** The point, cleaned for display. */
  text: string;
  /** Where the point is in the bank: `fileText.slice(start, end) === quote`. */
  citation: { id: string; file: string; start: number; end: number; quote: string; title?: string; section: string[] };
  covered: boolean;
  /** Offline support of the point by the answer (embedding cosine and lexical overlap). 0–1. */
  support: number;
  /** Credit the point earned toward the score. 0–1. */
  credit: number;
  /** Who decided `covered`. */
  judge: 'offline' | 'llm';
  /** The words of the answer that make the point (offline: the best-matching sentence; LLM: its evidence). */
  matched?: string;
  /** Why the language model's "covered" verdict was not believed (the offline verdict stands). */
  llmRejected?: string;
}

/** The grade of an answer: score, covered and missed key points with citations, the model answer and follow-ups. */
export interface Grade {
  question: QuizQuestion;
  /** False when the question has no model answer and nothing in the bank answers it closely enough. */
  gradable: boolean;
  /** Why the answer could not be graded. */
  reason?: string;
  /** 0–1: the F-beta of `precision` and `coverage`; 0 when not gradable. */
  score: number;
  /** How much of the model answer the answer covers: key-point credit over `fullMarksShare` of the points, capped at 1. */
  coverage?: number;
  /** How much of what the answer says the model answer backs (share of its terms in the key points). 0–1. */
  precision?: number;
  grader: 'offline' | 'llm';
  /** The language model failed and the offline grade stands. */
  fallback?: { reason: string; code: string };
  /** What the answer was graded against: the question's own model answer, or the closest question's. */
  reference: { kind: 'model-answer' | 'related-question' | 'none'; questionId?: string; title?: string; file?: string; similarity?: number };
  covered: GradedPoint[];
  missed: GradedPoint[];
  /** The model answer graded against, as the bank has it, with its passages. */
  modelAnswer?: { text: string; passages: { id: string; file: string; start: number; end: number }[] };
  followUps: string[];
  /** For a question that could not be graded: the nearest questions that have model answers. */
  related: { id: string; title: string; file: string }[];
  timings: { totalMs: number };
}

/** Settings of grading; each field has a documented default. */
export interface StudyOptions {
  thresholds: GradingThresholds;
  /**
   * A question without a model answer is graded against the closest question with one when the
   * two questions' embeddings have at least this cosine. 0–1, default 0.65. Measured with
   * all-MiniLM-L6-v2 on 75 list questions of the bank: at 0.65 or above, 12 of 13 were the same
   * question reworded ("What is FlashAttention and how does it work?" → "What is FlashAttention
   * and why was it a breakthrough?", 0.83); from 0.6 to 0.65 half were only a neighbouring
   * question ("What makes a system truly agentic?" → "What are the key challenges in multi-agent
   * systems?", 0.63), which would grade the answer against the wrong points.
   */
  relatedMinSimilarity: number;
}

export const DEFAULT_STUDY_OPTIONS: StudyOptions = { thresholds: DEFAULT_GRADING, relatedMinSimilarity: 0.65 };

export interface StudyServiceDeps {
  store: Store;
  /** The original text of a corpus file, for exact quotes. */
  fileText: (file: string) => string;
  /** The embedder the bank was indexed with. */
  embedder: Embedder;
  /** Finds the closest question with a model answer, for questions without one. */
  searcher?: Pick<Searcher, 'search'>;
  /** Judges coverage with a language model, when one is configured. */
  judge?: Pick<LlmJudge, 'judge'>;
  /** German answers are compared in English. */
  translator?: QueryTranslator;
  /** Uniform in [0, 1): the quiz's choice. Default Math.random; tests pass a seeded one. */
  random?: () => number;
}

/**
 * Study mode: picks quiz questions from the bank and grades free-text answers against the
 * bank's model answers — which key points the answer covered and missed, each quoted with its
 * citation — offline with the embedder and lexical overlap, or with a language model whose
 * verdicts are checked against the quotes.
 *
 * @example
 * const study = new StudyService({ store, fileText, embedder, searcher });
 * const { question } = await study.quiz({ category: 'RAG' });
 * const grade = await study.grade({ questionId: question!.id, answer: 'Hybrid search fuses BM25 and dense results…' });
 */
export class StudyService {
  readonly catalogue: QuestionCatalogue;
  private readonly options: StudyOptions;

  constructor(
    private readonly deps: StudyServiceDeps,
    options: Partial<StudyOptions> = {},
  ) {
    this.catalogue = new QuestionCatalogue(deps.store, deps.fileText);
    this.options = { ...DEFAULT_STUDY_OPTIONS, ...options };
  }

  get llmAvailable(): boolean {
    return this.deps.judge !== undefined;
  }

  async quiz(request: QuizRequest = {}): Promise<QuizResponse> {
    const all = await this.catalogue.questions();
    const matching = all.filter(matches(request));
    if (matching.length === 0) throw new InvalidInputError(noMatchMessage(request, all), filterField(request));
    const excluded = new Set(request.exclude ?? []);
    const remaining = matching.filter((q) => !excluded.has(q.id));
    const random = this.deps.random ?? Math.random;
    const pick = remaining[Math.min(remaining.length - 1, Math.floor(random() * remaining.length))];
    return { question: pick ? toQuizQuestion(pick) : null, matching: matching.length, remaining: remaining.length };
  }

  /** A question by id, or an error that says where ids come from. */
  async question(id: string): Promise<CatalogueQuestion> {
    const q = typeof id === 'string' ? await this.catalogue.get(id.trim()) : undefined;
    if (!q) throw new InvalidInputError(`No question of the bank has the id "${String(id)}"; take an id from GET /v1/quiz (or qbank quiz).`, 'questionId');
    return q;
  }

  async grade(request: GradeRequest): Promise<Grade> {
    const t0 = performance.now();
    const answer = validateAnswer(request.answer);
    const question = await this.question(request.questionId);
    if (request.grader === 'llm' && !this.deps.judge) throw new InvalidInputError('No language model is configured on this server; grade with grader "offline" (the default).', 'grader');
    const useLlm = request.grader !== 'offline' && this.deps.judge !== undefined;

    const ref: Reference = question.hasModelAnswer ? { kind: 'model-answer', question, related: [] } : await this.#related(question);
    const base = { question: toQuizQuestion(question), grader: 'offline' as const, covered: [] as GradedPoint[], missed: [] as GradedPoint[] };
    const against = ref.question;
    if (!against) {
      return {
        ...base,
        gradable: false,
        reason: ref.reason ?? 'This question cannot be graded.',
        score: 0,
        reference: { kind: 'none' },
        followUps: [],
        related: ref.related,
        timings: { totalMs: round(performance.now() - t0) },
      };
    }

    const points = this.catalogue.keyPoints(against);
    if (points.length === 0) {
      return { ...base, gradable: false, reason: 'The model answer of this question has no statements to check an answer against (it is a table or a formula).', score: 0, reference: referenceOf(ref), modelAnswer: modelAnswerOf(against), followUps: against.followUps, related: [], timings: { totalMs: round(performance.now() - t0) } };
    }

    const lang = detectLanguage(answer);
    const compared = lang === 'de' && this.deps.translator ? this.deps.translator.toEnglish(answer) : answer;
    const t = this.options.thresholds;
    const offline = await gradeAgainstPoints(points, against.title, compared, this.deps.embedder, t, lang === 'de' && !this.deps.translator ? 'de' : 'en');
    const graded: GradedPoint[] = points.map((p, i) => {
      const m = offline.points[i] as (typeof offline.points)[number];
      const g: GradedPoint = { index: p.index, text: p.text, citation: citationOf(p, against), covered: m.covered, support: round(m.support), credit: round(m.credit), judge: 'offline' };
      if (m.matched !== undefined) g.matched = m.matched;
      return g;
    });

    let grader: Grade['grader'] = 'offline';
    let fallback: Grade['fallback'];
    if (useLlm && this.deps.judge) {
      try {
        const verdicts = await this.deps.judge.judge(question.title, points, answer);
        const checked = await checkVerdicts(verdicts, points, answer, this.deps.embedder);
        grader = 'llm';
        checked.forEach((v, i) => {
          const g = graded[i];
          if (!g || !v) return;
          if (v.rejected && !v.covered) {
            // The model's "covered" was not borne out: the offline verdict stands.
            g.llmRejected = v.rejected;
            return;
          }
          g.judge = 'llm';
          g.covered = v.covered;
          g.credit = v.covered ? 1 : 0;
          if (v.evidence !== undefined) g.matched = v.evidence;
          else if (!v.covered) delete g.matched;
        });
      } catch (error) {
        if (!(error instanceof LlmError)) throw error;
        fallback = { reason: error.message, code: error.code };
      }
    }

    // The model's verdicts replace the offline credits; precision stays lexical either way.
    const coverage = grader === 'llm' ? coverageOf(graded.map((g) => g.credit), t) : offline.coverage;
    const grade: Grade = {
      question: toQuizQuestion(question),
      gradable: true,
      score: round(fBeta(offline.precision, coverage, t.beta)),
      coverage: round(coverage),
      precision: round(offline.precision),
      grader,
      reference: referenceOf(ref),
      covered: graded.filter((g) => g.covered),
      missed: graded.filter((g) => !g.covered),
      modelAnswer: modelAnswerOf(against),
      followUps: against.followUps,
      related: [],
      timings: { totalMs: round(performance.now() - t0) },
    };
    if (fallback) grade.fallback = fallback;
    return grade;
  }

  /** The closest question with a model answer, when it is close enough to grade against. */
  async #related(question: CatalogueQuestion): Promise<Reference> {
    const none = 'This question has no model answer in the bank, and no question with one is close enough to grade against.';
    if (!this.deps.searcher) return { kind: 'related-question', reason: 'This question has no model answer in the bank, so the answer cannot be graded.', related: [] };
    const search = await this.deps.searcher.search({ query: question.title, k: 10 });
    const candidates: CatalogueQuestion[] = [];
    for (const r of search.results) {
      if (r.meta.kind !== 'qa') continue;
      const q = await this.catalogue.ofChunk(r.id);
      if (q && !candidates.includes(q)) candidates.push(q);
      if (candidates.length === 3) break;
    }
    const related = candidates.map((q) => ({ id: q.id, title: q.title, file: q.file }));
    if (candidates.length === 0) return { kind: 'related-question', reason: none, related };
    const asked = question.lang === 'de' && this.deps.translator ? this.deps.translator.toEnglish(question.title) : question.title;
    const [qv] = await embedInBatches(this.deps.embedder, [asked], 'query');
    const vectors = await embedInBatches(this.deps.embedder, candidates.map((q) => q.title), 'passage');
    let best: { question: CatalogueQuestion; similarity: number } | undefined;
    candidates.forEach((q, i) => {
      const similarity = qv && vectors[i] ? dot(qv, vectors[i]) : 0;
      if (!best || similarity > best.similarity) best = { question: q, similarity };
    });
    if (!best || best.similarity < this.options.relatedMinSimilarity) return { kind: 'related-question', reason: none, related };
    return { kind: 'related-question', question: best.question, similarity: round(best.similarity), related };
  }
}

/** Trims the answer and checks it is neither empty nor too long. */
export function validateAnswer(answer: unknown): string {
  if (typeof answer !== 'string') throw new InvalidInputError('answer must be a string: what you would say in the interview.', 'answer');
  const t = answer.trim();
  if (t.length === 0) throw new InvalidInputError('The answer is empty; write what you would say in the interview, then grade it.', 'answer');
  if (t.length > MAX_ANSWER_CHARS) throw new InvalidInputError(`The answer is ${t.length} characters long; the limit is ${MAX_ANSWER_CHARS}. Shorten it to the points you would make.`, 'answer');
  return t;
}

function matches(r: QuizRequest): (q: CatalogueQuestion) => boolean {
  const category = r.category?.trim().toLowerCase();
  const difficulty = r.difficulty?.trim().toLowerCase();
  const role = r.role?.trim().toLowerCase();
  const lang = r.lang?.trim().toLowerCase();
  return (q) =>
    (!category || q.section.some((s) => s.toLowerCase().includes(category)) || q.category.toLowerCase().includes(category)) &&
    (!difficulty || q.difficulty?.toLowerCase() === difficulty) &&
    (!role || (q.roles ?? []).some((x) => x.toLowerCase().includes(role))) &&
    (!lang || q.lang.toLowerCase() === lang) &&
    (r.hasModelAnswer === undefined || q.hasModelAnswer === r.hasModelAnswer);
}

function noMatchMessage(r: QuizRequest, all: readonly CatalogueQuestion[]): string {
  const given = Object.entries({ category: r.category, difficulty: r.difficulty, role: r.role, lang: r.lang, hasModelAnswer: r.hasModelAnswer })
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k} "${String(v)}"`);
  if (all.length === 0) return 'The bank has no questions yet; build the index first (qbank ingest).';
  const values = (f: (q: CatalogueQuestion) => (string | undefined)[]) => [...new Set(all.flatMap(f).filter((v): v is string => !!v))].sort();
  const hints = [`difficulties: ${values((q) => [q.difficulty]).join(', ')}`, `languages: ${values((q) => [q.lang]).join(', ')}`, `roles: ${values((q) => q.roles ?? []).join(', ')}`];
  return `No question of the bank matches ${given.join(' and ') || 'these filters'}. Known ${hints.join('; ')}; categories are listed by GET /v1/questions.`;
}

function filterField(r: QuizRequest): string | undefined {
  return r.category ? 'category' : r.difficulty ? 'difficulty' : r.role ? 'role' : r.lang ? 'lang' : undefined;
}

function citationOf(p: KeyPointSource, q: CatalogueQuestion): GradedPoint['citation'] {
  const part = q.answer.find((a) => a.chunkId === p.chunkId);
  const c: GradedPoint['citation'] = { id: p.chunkId, file: q.file, start: p.start, end: p.end, quote: p.quote, section: [...(part?.section ?? q.section)] };
  const title = part?.title;
  if (title !== undefined) c.title = title;
  return c;
}

/** What an answer is graded against, or why nothing is. */
interface Reference {
  kind: 'model-answer' | 'related-question';
  question?: CatalogueQuestion;
  similarity?: number;
  reason?: string;
  related: Grade['related'];
}

function referenceOf(ref: Reference): Grade['reference'] {
  if (!ref.question) return { kind: 'none' };
  const out: Grade['reference'] = { kind: ref.kind, questionId: ref.question.id, title: ref.question.title, file: ref.question.file };
  if (ref.similarity !== undefined) out.similarity = ref.similarity;
  return out;
}

function modelAnswerOf(q: CatalogueQuestion): NonNullable<Grade['modelAnswer']> {
  return { text: q.answer.map((a) => a.text).join('\n\n'), passages: q.answer.map((a) => ({ id: a.chunkId, file: q.file, start: a.start, end: a.end })) };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
