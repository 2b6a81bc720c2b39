import { z } from 'zod';
import { PROBLEM_CODES } from './problem.js';
import {
  AnswerSchema,
  AskRequestSchema,
  ChunkContextSchema,
  ChunkIdSchema,
  ChunkQuerySchema,
  CitationSchema,
  DocumentsSchema,
  FiltersSchema,
  HealthSchema,
  ProblemSchema,
  QuestionSchema,
  QuestionsPageSchema,
  QuestionsQuerySchema,
  ReadySchema,
  SearchRequestSchema,
  SearchResponseSchema,
  SearchResultSchema,
  StreamDeltaSchema,
  StreamErrorSchema,
} from './schemas.js';
import { STUDY_COMPONENTS, studyOpenApi } from './study-routes.js';

type Json = Record<string, unknown>;

/** An OpenAPI 3.1 document; its schemas are JSON Schema 2020-12, which zod 4 emits directly. */
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
}

export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: Parameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: Json; example?: unknown }> };
  responses: Record<string, { description: string; headers?: Record<string, Json>; content?: Record<string, { schema: Json }> }>;
  security?: Record<string, string[]>[];
  'x-sse-events'?: Record<string, Json>;
}

export interface Parameter {
  name: string;
  in: 'query' | 'path';
  required: boolean;
  description?: string;
  schema: Json;
}

const COMPONENTS: [string, z.ZodType][] = [
  ['AskRequest', AskRequestSchema],
  ['SearchRequest', SearchRequestSchema],
  ['Filters', FiltersSchema],
  ['Answer', AnswerSchema],
  ['Citation', CitationSchema],
  ['SearchResponse', SearchResponseSchema],
  ['SearchResult', SearchResultSchema],
  ['ChunkContext', ChunkContextSchema],
  ['Documents', DocumentsSchema],
  ['Question', QuestionSchema],
  ['QuestionsPage', QuestionsPageSchema],
  ['Health', HealthSchema],
  ['Ready', ReadySchema],
  ['Problem', ProblemSchema],
  ['StreamDelta', StreamDeltaSchema],
  ['StreamError', StreamErrorSchema],
];

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string) => ({ 'application/json': { schema: ref(id) } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });

/** The API description, generated from the zod schemas that also validate the requests. */
export function openApiDocument(options: { apiKey: boolean; version?: string; study?: boolean }): OpenApiDocument {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of [...COMPONENTS, ...(options.study ? STUDY_COMPONENTS : [])]) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'any' }) as { schemas: Record<string, Json> };
  for (const s of Object.values(schemas)) {
    delete s['$schema'];
    delete s['$id'];
  }

  const security = options.apiKey ? [{ bearer: [] }, { apiKeyHeader: [] }] : [];
  const guarded = (extra: Record<string, unknown>): Operation['responses'] => ({
    ...(extra as Operation['responses']),
    ...(options.apiKey ? { '401': problem('The API key is missing or wrong.') } : {}),
    '429': { ...problem('Rate limited.'), headers: { 'Retry-After': { description: 'Seconds until the client may try again.', schema: { type: 'integer' } } } },
  });
  const api = (op: Omit<Operation, 'security'>): Operation => (options.apiKey ? { ...op, security } : op);

  return {
    openapi: '3.1.0',
    info: {
      title: 'qbank API',
      version: options.version ?? '1',
      description:
        'Answers study questions from a bank of LLM interview questions, with citations that quote the bank exactly. ' +
        'Errors are RFC 9457 problem details (application/problem+json).',
    },
    paths: {
      '/v1/ask': {
        post: api({
          operationId: 'ask',
          summary: 'Answer a question with citations',
          description:
            'Retrieves passages and writes an answer whose every sentence cites an exact quote. Abstains when the bank does not cover the question. ' +
            'With `Accept: text/event-stream` the answer is streamed as server-sent events: `delta` (text), `citation`, then `done` with the whole answer, or `error` as the last frame on failure.',
          tags: ['answers'],
          requestBody: { required: true, content: { 'application/json': { schema: ref('AskRequest'), example: { question: 'explain GQA vs MQA', k: 5 } } } },
          responses: guarded({
            '200': {
              description: 'The answer (JSON), or its events (text/event-stream).',
              content: { ...json('Answer'), 'text/event-stream': { schema: { type: 'string', description: 'Server-sent events; see x-sse-events.' } } },
            },
            '400': problem('Missing, empty or over-long question, wrong types, unknown fields, malformed JSON.'),
            '413': problem('Body over the size limit.'),
            '415': problem('Body is not JSON.'),
            '503': problem('Index or model not available.'),
          }),
          'x-sse-events': { delta: ref('StreamDelta'), citation: ref('Citation'), done: ref('Answer'), error: ref('StreamError') },
        }),
      },
      '/v1/search': {
        post: api({
          operationId: 'search',
          summary: 'Search the bank',
          description: 'The best passages with source offsets and per-stage scores: the same JSON as `qbank search --json`.',
          tags: ['search'],
          requestBody: { required: true, content: { 'application/json': { schema: ref('SearchRequest'), example: { query: 'LoRA rank', k: 3 } } } },
          responses: guarded({
            '200': { description: 'Search results.', content: json('SearchResponse') },
            '400': problem('Invalid request.'),
            '413': problem('Body over the size limit.'),
            '415': problem('Body is not JSON.'),
          }),
        }),
      },
      '/v1/chunks/{id}': {
        get: api({
          operationId: 'getChunk',
          summary: 'A passage in the context of its original file',
          tags: ['bank'],
          parameters: [{ name: 'id', in: 'path', required: true, description: ChunkIdSchema.description ?? '', schema: fieldSchema(ChunkIdSchema) }, ...queryParameters(ChunkQuerySchema)],
          responses: guarded({ '200': { description: 'The chunk and its surroundings.', content: json('ChunkContext') }, '400': problem('Malformed id.'), '404': problem('No such chunk.') }),
        }),
      },
      '/v1/documents': {
        get: api({
          operationId: 'listDocuments',
          summary: 'Documents of the bank with chunk and question counts',
          tags: ['bank'],
          responses: guarded({ '200': { description: 'Documents.', content: json('Documents') } }),
        }),
      },
      '/v1/questions': {
        get: api({
          operationId: 'listQuestions',
          summary: 'Browse the questions of the bank',
          description: 'Each question once (the same question in several documents is listed under alsoIn), filtered and paged.',
          tags: ['bank'],
          parameters: queryParameters(QuestionsQuerySchema),
          responses: guarded({ '200': { description: 'A page of questions.', content: json('QuestionsPage') }, '400': problem('Invalid parameter.') }),
        }),
      },
      ...(options.study ? studyOpenApi({ api, guarded, problem, json, ref, queryParameters }) : {}),
      '/healthz': { get: { operationId: 'health', summary: 'Liveness', tags: ['operations'], responses: { '200': { description: 'The process is up.', content: json('Health') } } } },
      '/readyz': {
        get: {
          operationId: 'ready',
          summary: 'Readiness: model loaded and index store answering',
          tags: ['operations'],
          responses: { '200': { description: 'Ready.', content: json('Ready') }, '503': { description: 'Not ready: the model is loading, or the index store is not answering.', content: json('Ready') } },
        },
      },
      '/openapi.json': { get: { operationId: 'openapi', summary: 'This document', tags: ['operations'], responses: { '200': { description: 'OpenAPI 3.1 document.' } } } },
      '/docs': { get: { operationId: 'docs', summary: 'Readable API documentation', tags: ['operations'], responses: { '200': { description: 'HTML page.' } } } },
      '/': { get: { operationId: 'studyPage', summary: 'The study page', tags: ['web'], responses: { '200': { description: 'HTML page.' } } } },
      '/widget.js': {
        get: {
          operationId: 'widget',
          summary: 'The embeddable <qbank-ask> element',
          description: 'Use `<script src="http://127.0.0.1:8787/widget.js"></script><qbank-ask></qbank-ask>`; add the page\'s origin to QBANK_CORS_ORIGINS.',
          tags: ['web'],
          responses: { '200': { description: 'JavaScript.' } },
        },
      },
    },
    components: {
      schemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <QBANK_API_KEY>' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
  };
}

/** Problem codes for the docs page. */
export { PROBLEM_CODES };

function fieldSchema(schema: z.ZodType): Json {
  const s = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  delete s['$schema'];
  return s;
}

function queryParameters(schema: z.ZodObject): Parameter[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const f = field as z.ZodType;
    const p: Parameter = { name, in: 'query', required: false, schema: fieldSchema(f) };
    const description = f.description;
    if (description) p.description = description;
    return p;
  });
}
