import type { Context } from 'hono';
import { z } from 'zod';
import { MAX_ANSWER_CHARS, type Grade, type GradeRequest, type QuizRequest, type QuizResponse, type StudyService } from '../study/study-service.js';
import { InvalidInputError } from '../errors.js';
import type { Operation, Parameter } from './openapi.js';

/**
 * Study mode over HTTP: `GET /v1/quiz` picks a question, `POST /v1/grade` grades an answer.
 * The app mounts these routes when it is given a study service (`ApiDeps.study`), and the
 * OpenAPI document then describes them (`studyOpenApi`).
 */

// ---- requests ----

/** Most ids `exclude` may list. */
export const MAX_EXCLUDED = 2000;

const QuestionId = z
  .string({ error: 'questionId must be a string.' })
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'questionId is 1–64 letters, digits, "-" or "_", as GET /v1/quiz returns it.' })
  .describe('Id of a question, from GET /v1/quiz.');

export const QuizQuerySchema = z.object({
  category: z.string().max(200).optional().describe('Case-insensitive substring of a heading of the question\'s category, e.g. "RAG".'),
  difficulty: z.string().max(50).optional().describe('Easy, Medium or Hard (case-insensitive).'),
  role: z.string().max(100).optional().describe('Case-insensitive substring of one of the question\'s roles, e.g. "AI Eng".'),
  lang: z.string().max(10).optional().describe('Language code: en, de.'),
  hasModelAnswer: z.enum(['true', 'false']).optional().describe('true: only questions with a model answer (gradable against it); false: only items of question lists.'),
  exclude: z
    .string()
    .max(MAX_EXCLUDED * 65)
    .optional()
    .describe(`Comma-separated ids of questions already seen (at most ${MAX_EXCLUDED}).`),
});

export const GradeRequestSchema = z
  .strictObject({
    questionId: QuestionId,
    answer: z
      .string({ error: 'answer must be a string.' })
      .trim()
      .min(1, { error: 'answer is empty; write what you would say in the interview.' })
      .max(MAX_ANSWER_CHARS, { error: `answer is longer than ${MAX_ANSWER_CHARS} characters; shorten it to the points you would make.` }),
    grader: z.enum(['offline', 'llm']).optional().describe('Who judges coverage: the configured language model (default when there is one) or the offline matcher.'),
  })
  .meta({ example: { questionId: 'q_2f1c9e0a7b3d4c55', answer: 'The KV cache keeps the keys and values of earlier tokens so they are not recomputed at every step.' } });

// ---- responses ----

export const QuizQuestionSchema = z
  .object({
    id: z.string().describe('Stable while the question\'s file and wording stay the same.'),
    title: z.string().describe('The question, without its "Q12." number.'),
    category: z.string().describe('The heading path joined with " › ".'),
    section: z.array(z.string()),
    file: z.string(),
    lang: z.string(),
    questionNumber: z.int().optional(),
    difficulty: z.string().optional(),
    roles: z.array(z.string()).optional(),
    hasModelAnswer: z.boolean().describe('False for an item of a question list: graded against the closest question that has a model answer, if any.'),
    source: z.object({ file: z.string(), start: z.int(), end: z.int() }).describe('Where the question is in its file.'),
  })
  .describe('A question of the bank, without its answer.');

export const QuizResponseSchema = z.object({
  question: QuizQuestionSchema.nullable().describe('Null when every matching question is in `exclude`: the round is over.'),
  matching: z.int().describe('Questions matching the filters.'),
  remaining: z.int().describe('Matching questions not excluded, before this pick.'),
});

export const GradedPointSchema = z
  .object({
    index: z.int(),
    text: z.string().describe('The key point, cleaned for display.'),
    citation: z
      .object({ id: z.string().describe('Chunk id; GET /v1/chunks/{id} shows it in context.'), file: z.string(), start: z.int(), end: z.int(), quote: z.string().describe('text.slice(start, end) of the file, exactly.'), title: z.string().optional(), section: z.array(z.string()) })
      .describe('Where the key point is in the bank.'),
    covered: z.boolean(),
    support: z.number().describe('Offline support of the point by the answer (embedding cosine and lexical overlap), 0–1.'),
    credit: z.number().describe('Credit the point earned toward the score, 0–1.'),
    judge: z.enum(['offline', 'llm']),
    matched: z.string().optional().describe('The words of the answer that make the point best.'),
    llmRejected: z.string().optional().describe('Why the language model\'s "covered" verdict was not believed.'),
  })
  .describe('A key point of the model answer (a sentence or a list item), quoted exactly.');

export const GradeSchema = z.object({
  question: QuizQuestionSchema,
  gradable: z.boolean(),
  reason: z.string().optional().describe('Why the answer could not be graded.'),
  score: z.number().describe('0–1: the F-beta (beta 0.5) of precision and coverage; 0 when not gradable.'),
  coverage: z.number().optional().describe('How much of the model answer the answer covers, 0–1.'),
  precision: z.number().optional().describe('How much of what the answer says the model answer backs, 0–1.'),
  grader: z.enum(['offline', 'llm']),
  fallback: z.object({ reason: z.string(), code: z.string().describe('llm_timeout, llm_failed, …') }).optional().describe('The language model failed; the offline grade stands.'),
  reference: z.object({
    kind: z.enum(['model-answer', 'related-question', 'none']),
    questionId: z.string().optional(),
    title: z.string().optional(),
    file: z.string().optional(),
    similarity: z.number().optional(),
  }),
  covered: z.array(GradedPointSchema),
  missed: z.array(GradedPointSchema),
  modelAnswer: z.object({ text: z.string(), passages: z.array(z.object({ id: z.string(), file: z.string(), start: z.int(), end: z.int() })) }).optional(),
  followUps: z.array(z.string()),
  related: z.array(z.object({ id: z.string(), title: z.string(), file: z.string() })).describe('For an ungradable question: the nearest questions with model answers.'),
  timings: z.object({ totalMs: z.number() }),
});

// The response schemas must accept every value of the service types they document.
type Accepts<S extends z.ZodType, T extends z.input<S>> = T;
export type StudySchemaChecks = [Accepts<typeof QuizResponseSchema, QuizResponse>, Accepts<typeof GradeSchema, Grade>];

// ---- routes ----

export interface StudyRoute {
  method: 'GET' | 'POST';
  path: string;
  handler: (c: Context) => Promise<Response>;
}

/** The study routes, for the app to mount with its own route helper (405s, HEAD). */
export function studyRoutes(
  study: Pick<StudyService, 'quiz' | 'grade' | 'llmAvailable'>,
  readJson: (c: Context) => Promise<unknown>,
  /** Told when the language model failed and the offline grade was sent instead (the app logs it). */
  noteFallback: (c: Context, fallback: Grade['fallback']) => void = () => {},
): StudyRoute[] {
  return [
    {
      method: 'GET',
      path: '/v1/quiz',
      handler: async (c) => {
        const q = QuizQuerySchema.parse(c.req.query());
        const exclude = (q.exclude ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        if (exclude.length > MAX_EXCLUDED) throw new InvalidInputError(`exclude lists ${exclude.length} ids; at most ${MAX_EXCLUDED} are accepted.`, 'exclude');
        const request: QuizRequest = { category: q.category, difficulty: q.difficulty, role: q.role, lang: q.lang, exclude };
        if (q.hasModelAnswer) request.hasModelAnswer = q.hasModelAnswer === 'true';
        c.header('Cache-Control', 'no-store');
        return c.json(await study.quiz(request));
      },
    },
    {
      method: 'POST',
      path: '/v1/grade',
      handler: async (c) => {
        const body = GradeRequestSchema.parse(await readJson(c));
        if (body.grader === 'llm' && !study.llmAvailable) throw new InvalidInputError('No language model is configured on this server; grade with grader "offline" (the default).', 'grader');
        const request: GradeRequest = { questionId: body.questionId, answer: body.answer };
        if (body.grader) request.grader = body.grader;
        c.header('Cache-Control', 'no-store');
        const grade = await study.grade(request);
        noteFallback(c, grade.fallback);
        return c.json(grade);
      },
    },
  ];
}

// ---- OpenAPI ----

type Json = Record<string, unknown>;

/** What `openApiDocument` lends the study section: its helpers for operations and responses. */
export interface OpenApiHelpers {
  api: (op: Omit<Operation, 'security'>) => Operation;
  guarded: (responses: Record<string, unknown>) => Operation['responses'];
  problem: (description: string) => { description: string; content: Record<string, { schema: Json }> };
  json: (id: string) => Record<string, { schema: Json }>;
  ref: (id: string) => Json;
  queryParameters: (schema: z.ZodObject) => Parameter[];
}

/** Component schemas of the study routes, by name. */
export const STUDY_COMPONENTS: [string, z.ZodType][] = [
  ['GradeRequest', GradeRequestSchema],
  ['QuizResponse', QuizResponseSchema],
  ['QuizQuestion', QuizQuestionSchema],
  ['Grade', GradeSchema],
  ['GradedPoint', GradedPointSchema],
];

/** The study routes' paths for the OpenAPI document. */
export function studyOpenApi(h: OpenApiHelpers): Record<string, Record<string, Operation>> {
  return {
    '/v1/quiz': {
      get: h.api({
        operationId: 'quiz',
        summary: 'A quiz question from the bank',
        description: 'Picks a random question matching the filters that is not in `exclude`. `question` is null once every matching question was excluded. No match at all is a 400 naming the filters.',
        tags: ['study'],
        parameters: h.queryParameters(QuizQuerySchema),
        responses: h.guarded({ '200': { description: 'A question, or null when the round is over.', content: h.json('QuizResponse') }, '400': h.problem('A parameter is invalid, or no question matches the filters.') }),
      }),
    },
    '/v1/grade': {
      post: h.api({
        operationId: 'grade',
        summary: 'Grade an answer against the bank\'s model answer',
        description:
          'Scores the answer 0–1 by the key points of the model answer it covers (its sentences and list items, each quoted exactly with its citation), and lists the covered and missed points, the model answer and the bank\'s follow-up questions. ' +
          'A question without a model answer is graded against the closest question that has one, or reported as not gradable. ' +
          'With a configured language model, the model judges each point and its verdicts are checked against the quotes.',
        tags: ['study'],
        requestBody: { required: true, content: { 'application/json': { schema: h.ref('GradeRequest'), example: GradeRequestSchema.meta()?.['example'] } } },
        responses: h.guarded({
          '200': { description: 'The grade.', content: h.json('Grade') },
          '400': h.problem(`Unknown question id, empty answer, answer over ${MAX_ANSWER_CHARS} characters, unknown fields, malformed JSON.`),
          '413': h.problem('Body over the size limit.'),
          '415': h.problem('Body is not JSON.'),
        }),
      }),
    },
  };
}
