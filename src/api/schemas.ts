import { z } from 'zod';
import type { Answer, Citation } from '../ports/answerer.js';
import type { SearchFilter } from '../ports/store.js';
import { MAX_QUERY_CHARS, SEARCH_MODES, type SearchResponse, type SearchResult } from '../search/searcher.js';

/**
 * The API's request and response shapes. Requests are validated with these schemas and the
 * OpenAPI document (`openapi.ts`) is generated from the same ones, so the two cannot drift;
 * `schemas.test.ts` also checks real responses against the response schemas.
 */

const text = (what: string) => z.string({ error: `${what} must be a string.` });

/** A question or search query: 1–2000 characters once trimmed. */
const QueryText = (what: string) =>
  text(what)
    .trim()
    .min(1, { error: `${what} is empty; ask a question.` })
    .max(MAX_QUERY_CHARS, { error: `${what} is longer than ${MAX_QUERY_CHARS} characters.` });

const OneOrMany = z.union([z.string().min(1).max(500), z.array(z.string().min(1).max(500)).min(1).max(50)]);

/**
 * A corpus-relative file path as search results give it (`source.file`): `/`-separated, not
 * absolute, with no `.` or `..` segment, backslash or control character. Anything else cannot
 * name a corpus file, and is refused rather than matched against nothing.
 */
const CorpusPath = z
  .string()
  .min(1)
  .max(500)
  .refine((p) => !p.startsWith('/') && !/[\\\u0000-\u001f\u007f]/.test(p) && !p.split('/').some((s) => s === '.' || s === '..' || s === ''), {
    error: 'A file is a corpus-relative path such as "002_bedc587ae5620290.txt" or "notes/rag.md": no leading "/", no "." or ".." parts, no backslash or control character.',
  });

export const FiltersSchema = z
  .strictObject({
    file: z.union([CorpusPath, z.array(CorpusPath).min(1).max(50)]).optional().describe('Corpus-relative file path(s), exact.'),
    section: z.string().min(1).max(200).optional().describe('Case-insensitive substring of any heading of the passage.'),
    difficulty: OneOrMany.optional().describe('Easy, Medium, Hard (case-insensitive).'),
    lang: OneOrMany.optional().describe('Language code(s): en, de.'),
  })
  .describe('Restricts retrieval to part of the bank; every field narrows.');

export const AskRequestSchema = z
  .strictObject({
    question: QueryText('question'),
    k: z.int({ error: 'k must be a whole number.' }).min(1).max(20).optional().describe('Passages to retrieve, 1–20 (default 5).'),
    filters: FiltersSchema.optional(),
    answerer: z.enum(['extractive', 'llm']).optional().describe('Default extractive; llm needs a configured model server.'),
  })
  .meta({ example: { question: 'explain GQA vs MQA', k: 5 } });

export const SearchRequestSchema = z
  .strictObject({
    query: QueryText('query'),
    k: z.int({ error: 'k must be a whole number.' }).min(1).max(100).optional().describe('Results, 1–100 (default 5).'),
    mode: z.enum(SEARCH_MODES as [string, ...string[]]).optional().describe('Retrieval stages (default rerank).'),
    filters: FiltersSchema.optional(),
  })
  .meta({ example: { query: 'LoRA rank', k: 3, filters: { difficulty: 'Medium' } } });

const Int = (min: number, max: number, fallback: number) => z.coerce.number({ error: 'must be a number.' }).int().min(min).max(max).default(fallback);

export const ChunkIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,128}$/, { error: 'A chunk id is 1–128 letters, digits, "-" or "_".' })
  .describe('Chunk id, as in search results and citations.');

export const ChunkQuerySchema = z.object({
  context: Int(0, 5000, 600).describe('Characters of the original file shown before and after the passage, 0–5000.'),
});

export const QuestionsQuerySchema = z.object({
  category: z.string().max(200).optional().describe('Case-insensitive substring of the category (top heading).'),
  difficulty: z.string().max(50).optional().describe('Easy, Medium or Hard (case-insensitive).'),
  lang: z.string().max(10).optional().describe('Language code, e.g. en.'),
  q: z.string().max(MAX_QUERY_CHARS).optional().describe('Case-insensitive words that must all be in the question.'),
  limit: Int(1, 200, 50).describe('Page size, 1–200.'),
  offset: Int(0, 1_000_000, 0).describe('Questions to skip.'),
});

// ---- responses ----

const Source = z.object({
  file: z.string(),
  start: z.int().describe('Offset of the span in the file text (UTF-16 code units).'),
  end: z.int(),
  title: z.string().optional(),
  section: z.array(z.string()),
});

export const CitationSchema = z
  .object({
    n: z.int().describe('Marker number as it appears in the answer: [n].'),
    id: z.string().describe('Chunk id; GET /v1/chunks/{id} shows it in context.'),
    quote: z.string().describe('Exact substring of the file text: text.slice(source.start, source.end).'),
    source: Source,
    verified: z.boolean(),
  })
  .describe('The exact quoted span of the bank that supports a sentence of the answer.');

export const AnswerSchema = z.object({
  answer: z.string().describe('The answer, with citation markers [n].'),
  citations: z.array(CitationSchema),
  abstained: z.boolean().describe('True when the bank does not cover the question.'),
  related: z.array(z.object({ id: z.string(), title: z.string() })),
  followUps: z.array(z.string()),
  answerer: z.enum(['extractive', 'llm']),
  fallback: z
    .object({ reason: z.string(), code: z.string().describe('llm_timeout, llm_failed, …') })
    .optional()
    .describe('The language model failed; this is the extractive answer.'),
  droppedCitations: z.int().optional(),
  timings: z.record(z.string(), z.number()),
});

export const SearchResultSchema = z.object({
  id: z.string(),
  score: z.number(),
  text: z.string(),
  source: Source,
  scores: z.object({ bm25: z.number().optional(), dense: z.number().optional(), fused: z.number().optional(), rerank: z.number().optional() }),
  meta: z.object({
    kind: z.enum(['qa', 'question-list', 'section', 'record']),
    lang: z.string(),
    questionNumber: z.int().optional(),
    difficulty: z.string().optional(),
    roles: z.array(z.string()).optional(),
    part: z.object({ index: z.int(), count: z.int() }).optional(),
    followUps: z.array(z.string()).optional(),
    footnotes: z.array(z.object({ id: z.string(), url: z.string(), title: z.string().optional() })).optional(),
  }),
  duplicates: z.array(z.string()).optional(),
});

export const SearchResponseSchema = z.object({
  query: z.string(),
  lang: z.string(),
  translated: z.string().optional(),
  abstained: z.boolean(),
  results: z.array(SearchResultSchema),
  timings: z.object({ embedMs: z.number(), retrieveMs: z.number(), rerankMs: z.number(), totalMs: z.number() }),
});

export const ChunkContextSchema = z.object({
  chunk: z.object({
    id: z.string(),
    file: z.string(),
    start: z.int(),
    end: z.int(),
    text: z.string().describe('The cleaned passage.'),
    title: z.string().optional(),
    section: z.array(z.string()),
    kind: z.string(),
    lang: z.string(),
    difficulty: z.string().optional(),
    roles: z.array(z.string()).optional(),
  }),
  context: z
    .object({
      start: z.int().describe('Offset in the file where `before` begins.'),
      end: z.int().describe('Offset in the file where `after` ends.'),
      before: z.string(),
      passage: z.string().describe('text.slice(chunk.start, chunk.end) of the original file.'),
      after: z.string(),
    })
    .describe('The passage within the original file; a citation span [s, e) is at before+passage+after offsets [s - start, e - start).'),
});

export const DocumentsSchema = z.object({
  documents: z.array(
    z.object({
      file: z.string(),
      title: z.string(),
      lang: z.string(),
      chunkCount: z.int(),
      questionCount: z.int(),
      categories: z.array(z.string()),
    }),
  ),
});

export const QuestionSchema = z.object({
  id: z.string().describe('Chunk id of the question (its first part).'),
  title: z.string(),
  category: z.string().describe('Top heading the question is under.'),
  section: z.array(z.string()),
  file: z.string(),
  lang: z.string(),
  questionNumber: z.int().optional(),
  difficulty: z.string().optional(),
  roles: z.array(z.string()).optional(),
  alsoIn: z.array(z.object({ id: z.string(), file: z.string() })).optional().describe('The same question in other documents.'),
});

const Facet = z.array(z.object({ value: z.string(), count: z.int() }));

export const QuestionsPageSchema = z.object({
  total: z.int(),
  limit: z.int(),
  offset: z.int(),
  questions: z.array(QuestionSchema),
  facets: z.object({ categories: Facet, difficulties: Facet, langs: Facet }).describe('Values over the whole bank, for filter menus.'),
});

export const HealthSchema = z.object({ status: z.literal('ok') });
export const ReadySchema = z.object({ ready: z.boolean(), detail: z.string(), answerers: z.array(z.enum(['extractive', 'llm'])) });

export const ProblemSchema = z
  .object({
    type: z.string().describe('URI reference of the problem type: /docs#problem-<code>.'),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    code: z.string().describe('Stable machine-readable code.'),
    field: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    requestId: z.string().optional(),
  })
  .describe('RFC 9457 problem details (application/problem+json).');

export const StreamDeltaSchema = z.object({ text: z.string() }).describe('event: delta — the next piece of the answer text.');
export const StreamErrorSchema = z.object({ code: z.string(), message: z.string(), status: z.int() }).describe('event: error — the last frame of a failed answer.');

/** Maps the API's filters (one value or a list) to the store's filter. */
export function toSearchFilter(f: z.infer<typeof FiltersSchema> | undefined): SearchFilter | undefined {
  if (!f) return undefined;
  const list = (v: string | string[] | undefined) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);
  const out: SearchFilter = {};
  const file = list(f.file);
  const difficulty = list(f.difficulty);
  const lang = list(f.lang);
  if (file) out.file = file;
  if (f.section) out.section = f.section;
  if (difficulty) out.difficulty = difficulty;
  if (lang) out.lang = lang;
  return Object.keys(out).length > 0 ? out : undefined;
}

// The response schemas must accept every value of the service types they document.
type Accepts<S extends z.ZodType, T extends z.input<S>> = T;
export type SchemaChecks = [
  Accepts<typeof AnswerSchema, Answer>,
  Accepts<typeof CitationSchema, Citation>,
  Accepts<typeof SearchResultSchema, SearchResult>,
  Accepts<typeof SearchResponseSchema, SearchResponse>,
];
