import type { BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMemoryIndex, type MemoryIndex } from '../../test/support/memory-index.js';
import { verifyQuote } from '../answer/verify.js';
import { InvalidInputError } from '../errors.js';
import { LlmJudge } from './llm-judge.js';
import type { CatalogueQuestion } from './question-catalogue.js';
import { seededRandom } from './seeded-random.js';
import { MAX_ANSWER_CHARS, StudyService, type StudyServiceDeps } from './study-service.js';

/** A FakeListChatModel that records the messages of every call. */
class RecordingChatModel extends FakeListChatModel {
  readonly prompts: BaseMessage[][] = [];
  override async _generate(messages: BaseMessage[], options: this['ParsedCallOptions'], runManager?: CallbackManagerForLLMRun): Promise<ChatResult> {
    this.prompts.push(messages);
    return super._generate(messages, options, runManager);
  }
}

let index: MemoryIndex;
let deps: StudyServiceDeps;
let study: StudyService;
let reranker: CatalogueQuestion;

beforeAll(async () => {
  index = await buildMemoryIndex();
  deps = { store: index.store, embedder: index.embedder, searcher: index.searcher, fileText: (f) => index.corpus.text(f) };
  study = new StudyService({ ...deps, random: seededRandom(7) });
  reranker = (await study.catalogue.questions()).find((q) => q.file.startsWith('002') && q.questionNumber === 16) as CatalogueQuestion;
});
afterAll(() => index.close());

describe('quiz', () => {
  it('picks the same questions for the same seed, never an excluded one, then says the round is over', async () => {
    const a = new StudyService({ ...deps, random: seededRandom(42) });
    const b = new StudyService({ ...deps, random: seededRandom(42) });
    const filter = { category: 'Category 5', hasModelAnswer: true };
    const seen: string[] = [];
    for (;;) {
      const [x, y] = await Promise.all([a.quiz({ ...filter, exclude: seen }), b.quiz({ ...filter, exclude: seen })]);
      expect(x).toEqual(y);
      if (!x.question) {
        expect(x.remaining).toBe(0);
        break;
      }
      expect(seen).not.toContain(x.question.id);
      expect(x.remaining).toBe(x.matching - seen.length);
      seen.push(x.question.id);
    }
    expect(seen).toHaveLength(5);
  });

  it('filters by category, difficulty, role, language and whether there is a model answer', async () => {
    const pick = async (f: Parameters<StudyService['quiz']>[0]) => (await study.quiz(f)).question;
    expect((await pick({ category: 'rag systems' }))?.category).toMatch(/RAG Systems/i);
    const hard = await pick({ difficulty: 'hard' });
    expect(hard?.difficulty).toBe('Hard');
    expect((await pick({ role: 'ml infra' }))?.roles).toContain('ML Infra Eng');
    expect((await pick({ lang: 'de' }))?.lang).toBe('de');
    expect((await pick({ hasModelAnswer: false }))?.hasModelAnswer).toBe(false);
    const q = await pick({ hasModelAnswer: true });
    // The quiz does not give the answer away.
    expect(Object.keys(q ?? {})).not.toContain('answer');
    expect(Object.keys(q ?? {})).not.toContain('followUps');
  });

  it('says which filter matches nothing and what the known values are', async () => {
    const error = await study.quiz({ difficulty: 'impossible' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).message).toMatch(/No question of the bank matches difficulty "impossible".*difficulties: Easy, Hard, Medium/);
    expect((error as InvalidInputError).field).toBe('difficulty');
  });
});

describe('grade', () => {
  it('refuses an empty, over-long or non-string answer, an unknown id and the LLM grader when there is none', async () => {
    const id = reranker.id;
    await expect(study.grade({ questionId: id, answer: '   ' })).rejects.toThrow(/answer is empty/);
    await expect(study.grade({ questionId: id, answer: 'x'.repeat(MAX_ANSWER_CHARS + 1) })).rejects.toThrow(`the limit is ${MAX_ANSWER_CHARS}`);
    await expect(study.grade({ questionId: id, answer: 42 as unknown as string })).rejects.toThrow(/answer must be a string/);
    await expect(study.grade({ questionId: 'q_0000000000000000', answer: 'cross-encoders' })).rejects.toThrow(/No question of the bank has the id "q_0000000000000000"/);
    await expect(study.grade({ questionId: id, answer: 'cross-encoders', grader: 'llm' })).rejects.toThrow(/No language model is configured/);
  });

  it('scores an answer against the model answer: covered and missed points with exact citations, model answer and follow-ups', async () => {
    const answer = 'A reranker is a cross-encoder model that reads the query and each candidate document together and produces a single relevance score.';
    const g = await study.grade({ questionId: reranker.id, answer });
    expect(g.gradable).toBe(true);
    expect(g.grader).toBe('offline');
    expect(g.reference).toMatchObject({ kind: 'model-answer', questionId: reranker.id });
    expect(g.score).toBeGreaterThan(0);
    expect(g.score).toBeLessThan(1);
    expect(g.covered.map((p) => p.text)).toContain('A reranker is a cross-encoder model that takes the query and each candidate document together to produce a single relevance score.');
    expect(g.missed.length).toBeGreaterThan(0);
    const all = [...g.covered, ...g.missed].sort((a, b) => a.index - b.index);
    expect(all.map((p) => p.index)).toEqual(study.catalogue.keyPoints(reranker).map((p) => p.index));
    for (const p of all) {
      expect(verifyQuote(index.corpus.text(p.citation.file), { quote: p.citation.quote, source: p.citation })).toBe(true);
      expect(index.corpus.text(p.citation.file).slice(p.citation.start, p.citation.end)).toBe(p.citation.quote);
      expect(reranker.answer.map((a) => a.chunkId)).toContain(p.citation.id);
    }
    expect(g.modelAnswer?.text).toContain('cross-encoder');
    expect(g.modelAnswer?.passages[0]).toMatchObject({ file: reranker.file, id: reranker.answer[0]?.chunkId });
    const better = await study.grade({ questionId: reranker.id, answer: reranker.answer.map((a) => a.text).join('\n') });
    expect(better.score).toBeGreaterThan(g.score);
    expect(better.missed).toHaveLength(0);
  });

  it('gives the bank\'s follow-up questions', async () => {
    const q = (await study.catalogue.questions()).find((x) => x.file.startsWith('003') && x.questionNumber === 3) as CatalogueQuestion;
    const g = await study.grade({ questionId: q.id, answer: 'It keeps keys and values of earlier tokens.' });
    expect(g.followUps).toEqual(q.followUps);
    expect(g.followUps[0]).toMatch(/PagedAttention/);
  });

  it('grades a list question against the closest question that has a model answer, or says it cannot', async () => {
    const loose = new StudyService(deps, { relatedMinSimilarity: 0.3 });
    const kv = (await loose.catalogue.questions()).find((q) => q.title === 'What is KV cache? How does it help in LLM inference?') as CatalogueQuestion;
    const g = await loose.grade({ questionId: kv.id, answer: 'It stores the keys and values of previous tokens so they are not recomputed at every step.' });
    expect(g.gradable).toBe(true);
    expect(g.reference.kind).toBe('related-question');
    expect(g.reference.title).toMatch(/KV cache/);
    expect(g.reference.similarity).toBeGreaterThanOrEqual(0.3);
    expect(g.covered.length + g.missed.length).toBeGreaterThan(0);

    const strict = new StudyService(deps, { relatedMinSimilarity: 0.99 });
    const none = await strict.grade({ questionId: kv.id, answer: 'It stores keys and values.' });
    expect(none).toMatchObject({ gradable: false, score: 0, reference: { kind: 'none' }, covered: [], missed: [] });
    expect(none.reason).toMatch(/no model answer in the bank/);
    expect(none.related.length).toBeGreaterThan(0);

    const noSearch = new StudyService({ store: deps.store, embedder: deps.embedder, fileText: deps.fileText });
    expect((await noSearch.grade({ questionId: kv.id, answer: 'It stores keys and values.' })).gradable).toBe(false);
  });
});

describe('grade with a language model', () => {
  const answer = 'A reranker is a cross-encoder that reads the query and the document together and gives one relevance score. First a fast bi-encoder retrieves the top 50 to 100 candidates.';

  /** The verdicts reply for the reranker question, by key point index. */
  function reply(verdicts: Record<number, { covered: boolean; evidence?: string }>): string {
    return `Here is my grading:\n\`\`\`json\n${JSON.stringify({ points: Object.entries(verdicts).map(([i, v]) => ({ n: Number(i) + 1, ...v })) })}\n\`\`\``;
  }

  it('takes the model\'s verdicts that the quotes bear out and rejects the others', async () => {
    const points = study.catalogue.keyPoints(reranker);
    const crossEncoder = points.findIndex((p) => p.text.startsWith('A reranker is a cross-encoder'));
    const fast = points.findIndex((p) => p.text.startsWith('Fast bi-encoder'));
    const catches = points.findIndex((p) => p.text.startsWith('This catches cases'));
    const unlike = points.findIndex((p) => p.text.startsWith('Unlike a bi-encoder'));
    expect(Math.min(crossEncoder, fast, catches, unlike)).toBeGreaterThanOrEqual(0);
    const model = new RecordingChatModel({
      responses: [
        reply({
          [crossEncoder]: { covered: true, evidence: 'A reranker is a cross-encoder that reads the query and the document together and gives one relevance score.' },
          [fast]: { covered: true, evidence: 'a fast bi-encoder retrieves the top 50 to 100 candidates' },
          // Evidence the student never wrote.
          [unlike]: { covered: true, evidence: 'cross-encoders model the interaction directly' },
          // Evidence from the answer that the point does not support.
          [catches]: { covered: true, evidence: 'First a fast bi-encoder retrieves' },
        }),
      ],
    });
    const llm = new StudyService({ ...deps, judge: new LlmJudge({ model }, { timeoutMs: 5000 }) });
    const g = await llm.grade({ questionId: reranker.id, answer });
    expect(g.grader).toBe('llm');
    const byIndex = new Map([...g.covered, ...g.missed].map((p) => [p.index, p]));
    expect(byIndex.get(crossEncoder)).toMatchObject({ covered: true, judge: 'llm', credit: 1 });
    expect(byIndex.get(fast)).toMatchObject({ covered: true, judge: 'llm', matched: 'a fast bi-encoder retrieves the top 50 to 100 candidates' });
    expect(byIndex.get(unlike)).toMatchObject({ judge: 'offline', llmRejected: 'the evidence is not in the answer' });
    expect(byIndex.get(catches)).toMatchObject({ judge: 'offline', llmRejected: 'the key point does not support the evidence' });
    // A point the model left out keeps its offline verdict.
    const others = [...byIndex.values()].filter((p) => ![crossEncoder, fast, unlike, catches].includes(p.index));
    for (const p of others) expect(p.judge).toBe('offline');

    // The prompt holds the question, the numbered points and the answer as escaped data.
    const [system, human] = model.prompts[0] ?? [];
    expect(String(system?.content)).toMatch(/Reply with JSON only/);
    expect(String(human?.content)).toContain(`<point n="${crossEncoder + 1}">`);
    expect(String(human?.content)).toContain(`<student_answer>\n${answer}\n</student_answer>`);

    const offline = await llm.grade({ questionId: reranker.id, answer, grader: 'offline' });
    expect(offline.grader).toBe('offline');
    expect(model.prompts).toHaveLength(1);
  });

  it('falls back to the offline grade when the model replies with something else, fails or times out', async () => {
    const garbled = new StudyService({ ...deps, judge: new LlmJudge({ model: new FakeListChatModel({ responses: ['I think the student did well!'] }) }) });
    const g1 = await garbled.grade({ questionId: reranker.id, answer });
    expect(g1.grader).toBe('offline');
    expect(g1.fallback?.reason).toMatch(/did not reply with a JSON object/);
    expect([...g1.covered, ...g1.missed].every((p) => p.judge === 'offline')).toBe(true);

    const slow = new StudyService({ ...deps, judge: new LlmJudge({ model: new FakeListChatModel({ responses: ['{"points":[]}'], sleep: 5000 }) }, { timeoutMs: 200 }) });
    const t0 = performance.now();
    const g2 = await slow.grade({ questionId: reranker.id, answer });
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(g2.fallback?.reason).toMatch(/did not answer within 200 ms/);

    const failing = new StudyService({ ...deps, judge: new LlmJudge({ model: () => Promise.reject(new Error('connection refused')) }) });
    expect((await failing.grade({ questionId: reranker.id, answer })).fallback?.reason).toMatch(/connection refused/);
  });
});
