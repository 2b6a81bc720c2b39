import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMemoryIndex, type MemoryIndex } from '../../test/support/memory-index.js';
import { post, testApi } from '../../test/support/test-api.js';
import { seededRandom } from '../study/seeded-random.js';
import { StudyService } from '../study/study-service.js';
import { GradeSchema, QuizResponseSchema } from './study-routes.js';
import { ProblemSchema } from './schemas.js';

let index: MemoryIndex;
let app: ReturnType<typeof testApi>['app'];
let errors: unknown[];

beforeAll(async () => {
  index = await buildMemoryIndex();
  const study = new StudyService({ store: index.store, embedder: index.embedder, searcher: index.searcher, fileText: (f) => index.corpus.text(f), random: seededRandom(1) });
  ({ app, errors } = testApi(index, {}, { study }));
});
afterAll(async () => {
  expect(errors).toEqual([]);
  await index.close();
});

async function problem(res: Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return ProblemSchema.parse(await res.json());
}

describe('GET /v1/quiz', () => {
  it('gives a question matching the filters, without its answer', async () => {
    const res = await app.request('/v1/quiz?category=RAG&difficulty=medium&hasModelAnswer=true');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = QuizResponseSchema.parse(await res.json());
    expect(body.question).toMatchObject({ difficulty: 'Medium', hasModelAnswer: true });
    expect(body.question?.category).toMatch(/RAG/);
    expect(body.remaining).toBe(body.matching);
  });

  it('leaves out the excluded ids and gives null once all are excluded', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) {
      const body = QuizResponseSchema.parse(await (await app.request(`/v1/quiz?category=Category%207&exclude=${seen.join(',')}`)).json());
      if (!body.question) {
        expect(body).toMatchObject({ question: null, remaining: 0, matching: 5 });
        expect(seen).toHaveLength(5);
        return;
      }
      expect(seen).not.toContain(body.question.id);
      seen.push(body.question.id);
    }
    throw new Error('the quiz never ran out of questions');
  });

  it('is a 400 naming the filter that matches nothing, or a bad parameter', async () => {
    const p = await problem(await app.request('/v1/quiz?role=astronaut'), 400);
    expect(p).toMatchObject({ code: 'invalid_input', field: 'role' });
    expect(p.detail).toMatch(/No question of the bank matches role "astronaut"/);
    expect((await problem(await app.request('/v1/quiz?hasModelAnswer=maybe'), 400)).field).toBe('hasModelAnswer');
  });
});

describe('POST /v1/grade', () => {
  it('grades an answer: score, covered and missed points quoting the bank, model answer, follow-ups', async () => {
    const { question } = QuizResponseSchema.parse(await (await app.request('/v1/quiz?category=Category%203&hasModelAnswer=true')).json());
    expect(question).not.toBeNull();
    const res = await app.request(...post('/v1/grade', { questionId: question?.id, answer: 'LoRA freezes the base weights and trains small low-rank matrices, so forgetting is much less likely.' }));
    expect(res.status).toBe(200);
    const g = GradeSchema.parse(await res.json());
    expect(g.question.id).toBe(question?.id);
    expect(g.gradable).toBe(true);
    expect(g.score).toBeGreaterThanOrEqual(0);
    expect(g.score).toBeLessThanOrEqual(1);
    expect(g.covered.length + g.missed.length).toBeGreaterThan(0);
    for (const p of [...g.covered, ...g.missed]) expect(index.corpus.text(p.citation.file).slice(p.citation.start, p.citation.end)).toBe(p.citation.quote);
    expect(g.modelAnswer?.text.length).toBeGreaterThan(50);
    expect(g.followUps.length).toBeGreaterThan(0);
  });

  it('refuses an empty or over-long answer, an unknown id, unknown fields, the LLM grader, and a body that is not JSON', async () => {
    const { question } = QuizResponseSchema.parse(await (await app.request('/v1/quiz?hasModelAnswer=true')).json());
    const id = question?.id ?? '';
    expect(await problem(await app.request(...post('/v1/grade', { questionId: id, answer: '  ' })), 400)).toMatchObject({ field: 'answer', detail: expect.stringMatching(/answer is empty/) as unknown });
    expect((await problem(await app.request(...post('/v1/grade', { questionId: id, answer: 'a'.repeat(5001) })), 400)).detail).toMatch(/longer than 5000 characters/);
    const unknown = await problem(await app.request(...post('/v1/grade', { questionId: 'q_ffffffffffffffff', answer: 'something' })), 400);
    expect(unknown).toMatchObject({ field: 'questionId', detail: expect.stringMatching(/No question of the bank has the id "q_ffffffffffffffff"/) as unknown });
    expect((await problem(await app.request(...post('/v1/grade', { questionId: '../../etc', answer: 'x' })), 400)).field).toBe('questionId');
    expect((await problem(await app.request(...post('/v1/grade', { questionId: id, answer: 'x', questoin: 1 })), 400)).field).toBe('questoin');
    expect((await problem(await app.request(...post('/v1/grade', { questionId: id, answer: 'x', grader: 'llm' })), 400)).field).toBe('grader');
    await problem(await app.request('/v1/grade', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' }), 415);
    await problem(await app.request('/v1/grade'), 405);
  });
});

describe('the API document', () => {
  it('describes the study routes when they are mounted, and only then', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, { operationId: string }>>; components: { schemas: Record<string, unknown> } };
    expect(doc.paths['/v1/quiz']?.['get']?.operationId).toBe('quiz');
    expect(doc.paths['/v1/grade']?.['post']?.operationId).toBe('grade');
    for (const name of ['Grade', 'GradeRequest', 'QuizResponse', 'QuizQuestion', 'GradedPoint']) expect(doc.components.schemas[name], name).toBeDefined();
    const docs = await (await app.request('/docs')).text();
    expect(docs).toContain('/v1/grade');
    expect(docs).toContain('/v1/quiz');
    const plain = testApi(index).app;
    const bare = (await (await plain.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(bare.paths['/v1/quiz']).toBeUndefined();
    expect((await plain.request('/v1/quiz')).status).toBe(404);
  });
});
