import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMemoryIndex, type MemoryIndex } from '../../test/support/memory-index.js';
import { QuestionCatalogue, type CatalogueQuestion } from './question-catalogue.js';

let index: MemoryIndex;
let catalogue: QuestionCatalogue;
let questions: CatalogueQuestion[];

beforeAll(async () => {
  index = await buildMemoryIndex();
  catalogue = new QuestionCatalogue(index.store, (f) => index.corpus.text(f));
  questions = await catalogue.questions();
});
afterAll(() => index.close());

const byFile = (prefix: string, answered: boolean) => questions.filter((q) => q.file.startsWith(prefix) && q.hasModelAnswer === answered);

describe('QuestionCatalogue', () => {
  it('lists every question with a model answer once, its parts grouped', () => {
    expect(byFile('002', true)).toHaveLength(51);
    expect(byFile('003', true)).toHaveLength(52);
    const decoderOnly = questions.find((q) => q.file.startsWith('003') && q.questionNumber === 1);
    expect(decoderOnly).toMatchObject({ title: 'Why do modern LLMs use decoder-only architecture instead of encoder-decoder?', difficulty: 'Easy', category: 'Category 1 — Transformer Architecture', lang: 'en' });
    expect(decoderOnly?.answer).toHaveLength(2);
    expect(decoderOnly?.roles).toContain('MLE');
    expect(decoderOnly?.followUps).toHaveLength(3);
    const [first, second] = decoderOnly?.answer ?? [];
    expect(decoderOnly?.source).toEqual({ file: decoderOnly?.file, start: first?.start, end: second?.end });
  });

  it('takes each question of the question lists as a question of its own, with its exact span', () => {
    expect(byFile('000', false).length).toBeGreaterThan(30);
    expect(byFile('001', false).length).toBe(byFile('000', false).length);
    expect(byFile('004', false).length).toBeGreaterThan(150);
    for (const q of questions.filter((x) => !x.hasModelAnswer)) {
      const quote = index.corpus.text(q.file).slice(q.source.start, q.source.end);
      expect(quote.length).toBeGreaterThan(0);
      expect(quote).toContain(q.title.replace(/^"|"$/g, '').slice(0, 12));
      expect(q.answer).toEqual([]);
    }
    const kv = questions.find((q) => q.title === 'What is KV cache? How does it help in LLM inference?');
    expect(kv).toMatchObject({ file: '004_29baa6f2a6fa364a.txt', category: 'Interview Questions › LLM Fundamentals', hasModelAnswer: false });
    expect(questions.find((q) => q.title.startsWith('Entwirf ein skalierendes LLM-Inference-Serversystem'))?.lang).toBe('de');
  });

  it('does not take study plans for questions, and asks a repeated question once per file', () => {
    expect(questions.some((q) => q.title === 'Read all 52 questions')).toBe(false);
    expect(questions.some((q) => q.category.startsWith('Day '))).toBe(false);
    const chatbot = questions.filter((q) => q.file.startsWith('004') && q.title === 'How do you evaluate a chatbot?');
    expect(chatbot).toHaveLength(1);
  });

  it('gives unique ids that stay the same when the catalogue is rebuilt', async () => {
    const ids = questions.map((q) => q.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^q_[0-9a-f]{16}$/);
    const again = await new QuestionCatalogue(index.store, (f) => index.corpus.text(f)).questions();
    expect(again.map((q) => q.id)).toEqual(ids);
    const q = questions[10] as CatalogueQuestion;
    expect(await catalogue.get(q.id)).toBe(q);
    const part = byFile('002', true)[0]?.answer[0]?.chunkId ?? '';
    expect((await catalogue.ofChunk(part))?.questionNumber).toBe(1);
  });

  it('quotes the key points of a model answer exactly', () => {
    const q = byFile('002', true).find((x) => x.questionNumber === 16) as CatalogueQuestion;
    const points = catalogue.keyPoints(q);
    expect(points.length).toBeGreaterThanOrEqual(4);
    const text = index.corpus.text(q.file);
    for (const p of points) expect(text.slice(p.start, p.end)).toBe(p.quote);
    expect(catalogue.keyPoints(byFile('004', false)[0] as CatalogueQuestion)).toEqual([]);
  });
});
