import { createHash } from 'node:crypto';
import type { Chunk } from '../ports/chunk.js';
import type { Store } from '../ports/store.js';
import { IndexSnapshot } from '../store/index-snapshot.js';
import { keyPoints, type AnswerSpan, type KeyPointSource } from './key-points.js';
import { listItemQuestions } from './list-items.js';

/**
 * A question of the bank as the quiz shows it, without its answer.
 *
 * @example
 * { id: 'q_3b1f0c9a2d4e5f60', title: 'What is the KV cache and what are its memory implications at scale?',
 *   category: 'Architecture and Training (All Levels)', section: ['Architecture and Training (All Levels)'],
 *   file: '002_bedc587ae5620290.txt', lang: 'en', questionNumber: 2, hasModelAnswer: true,
 *   source: { file: '002_bedc587ae5620290.txt', start: 4587, end: 5259 } }
 */
export interface QuizQuestion {
  /** Stable across re-ingests while the question's file and wording stay the same. */
  id: string;
  /** The question, without its "Q12." number. */
  title: string;
  /** The heading path joined with " › "; "" for a question outside any heading. */
  category: string;
  section: string[];
  file: string;
  lang: string;
  questionNumber?: number;
  difficulty?: string;
  roles?: string[];
  /** True for a question with the bank's model answer; false for an item of a question list. */
  hasModelAnswer: boolean;
  /** Where the question is: its whole question-and-answer span, or the list item. */
  source: { file: string; start: number; end: number };
}

/** A question with what grading needs: its answer's passages and the bank's follow-ups. */
export interface CatalogueQuestion extends QuizQuestion {
  /** The passages of the model answer, in order; empty for a list item. */
  answer: (AnswerSpan & { text: string; title?: string; section: string[] })[];
  followUps: string[];
}

interface Snapshot {
  questions: CatalogueQuestion[];
  byId: Map<string, CatalogueQuestion>;
  /** The question each chunk of a model answer belongs to. */
  byChunk: Map<string, CatalogueQuestion>;
}

/**
 * Every question of the bank, read from the store's chunks: each question with a model answer
 * (its parts grouped by file and question number) and each question of a question list (one per
 * list item, with the item's exact span). Rebuilt when the index changes (its file hashes differ).
 *
 * @example
 * const catalogue = new QuestionCatalogue(store, (f) => corpus.text(f));
 * const all = await catalogue.questions();
 * const points = await catalogue.keyPoints(all[0]);
 */
export class QuestionCatalogue {
  readonly #snapshot: IndexSnapshot<Snapshot>;

  constructor(
    private readonly store: Store,
    private readonly fileText: (file: string) => string,
  ) {
    this.#snapshot = new IndexSnapshot(store, (files) => this.#build(files));
  }

  async questions(): Promise<CatalogueQuestion[]> {
    return (await this.#current()).questions;
  }

  async get(id: string): Promise<CatalogueQuestion | undefined> {
    return (await this.#current()).byId.get(id);
  }

  /** The question whose model answer holds this chunk. */
  async ofChunk(chunkId: string): Promise<CatalogueQuestion | undefined> {
    return (await this.#current()).byChunk.get(chunkId);
  }

  /** The key points of a question's model answer, quoted exactly from its file. */
  keyPoints(question: CatalogueQuestion): KeyPointSource[] {
    if (question.answer.length === 0) return [];
    return keyPoints(this.fileText(question.file), question.answer, question.followUps);
  }

  #current(): Promise<Snapshot> {
    return this.#snapshot.current();
  }

  async #build(files: string[]): Promise<Snapshot> {
    const questions: CatalogueQuestion[] = [];
    for (const file of files) {
      const chunks = await this.store.chunksOfFile(file);
      let text: string | undefined;
      try {
        text = this.fileText(file);
      } catch {
        // The file left the corpus after it was indexed: its list items cannot be quoted.
      }
      questions.push(...questionsOfFile(file, chunks, text));
    }
    const byId = new Map(questions.map((q) => [q.id, q]));
    const byChunk = new Map<string, CatalogueQuestion>();
    for (const q of questions) for (const a of q.answer) byChunk.set(a.chunkId, q);
    return { questions, byId, byChunk };
  }
}

/** The questions of one file, in document order. */
export function questionsOfFile(file: string, chunks: readonly Chunk[], fileText: string | undefined): CatalogueQuestion[] {
  const out: CatalogueQuestion[] = [];
  const seen = new Set<string>();
  const qa = new Map<string, CatalogueQuestion>();
  const add = (q: CatalogueQuestion, identity: string) => {
    // The same question twice in one file (a recap list repeats it) is asked once.
    if (seen.has(identity)) return;
    seen.add(identity);
    out.push(q);
  };
  for (const chunk of chunks) {
    if (chunk.kind === 'qa' && chunk.title) {
      const group = `${chunk.questionNumber ?? ''}|${chunk.title}`;
      const known = qa.get(group);
      const part = { chunkId: chunk.id, start: chunk.start, end: chunk.end, text: chunk.text, section: chunk.section, ...(chunk.title ? { title: chunk.title } : {}) };
      if (known) {
        known.answer.push(part);
        known.source.start = Math.min(known.source.start, chunk.start);
        known.source.end = Math.max(known.source.end, chunk.end);
        for (const f of chunk.followUps ?? []) if (!known.followUps.includes(f)) known.followUps.push(f);
        continue;
      }
      const title = stripNumber(chunk.title);
      const q: CatalogueQuestion = {
        ...base(file, chunk, title, `qa\0${normalise(title)}\0${chunk.questionNumber ?? ''}`),
        hasModelAnswer: true,
        source: { file, start: chunk.start, end: chunk.end },
        answer: [part],
        followUps: [...(chunk.followUps ?? [])],
      };
      if (chunk.questionNumber !== undefined) q.questionNumber = chunk.questionNumber;
      qa.set(group, q);
      add(q, `qa\0${group}`);
      continue;
    }
    if ((chunk.kind === 'question-list' || chunk.kind === 'section') && fileText !== undefined) {
      for (const item of listItemQuestions(fileText, chunk.start, chunk.end)) {
        const q: CatalogueQuestion = {
          ...base(file, chunk, item.text, `item\0${normalise(item.text)}`),
          hasModelAnswer: false,
          source: { file, start: item.start, end: item.end },
          answer: [],
          followUps: [],
        };
        add(q, `item\0${normalise(item.text)}`);
      }
    }
  }
  return out;
}

function base(file: string, chunk: Chunk, title: string, identity: string): Omit<CatalogueQuestion, 'hasModelAnswer' | 'source' | 'answer' | 'followUps'> {
  const q: Omit<CatalogueQuestion, 'hasModelAnswer' | 'source' | 'answer' | 'followUps'> = {
    id: questionId(file, identity),
    title,
    category: chunk.section.join(' › '),
    section: [...chunk.section],
    file,
    lang: chunk.lang,
  };
  if (chunk.difficulty !== undefined) q.difficulty = chunk.difficulty;
  if (chunk.roles !== undefined) q.roles = [...chunk.roles];
  return q;
}

/** `q_` and 16 hex digits of a hash of the file and the question's wording. */
export function questionId(file: string, identity: string): string {
  return `q_${createHash('sha256').update(`${file}\0${identity}`).digest('hex').slice(0, 16)}`;
}

/** "Q12. What is LoRA?" → "What is LoRA?" */
export function stripNumber(title: string): string {
  return title.replace(/^\s*(?:q(?:uestion)?\s*)?\d+[.):]\s*/i, '').trim();
}

/** Lower case, punctuation folded to single spaces: "What is LoRA?" → "what is lora". */
export function normalise(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/** "Q12. What is LoRA?" and "What is LoRA" are the same question. */
export function normaliseTitle(title: string): string {
  return normalise(stripNumber(title));
}

/** The question as the quiz shows it, without the answer. */
export function toQuizQuestion(q: CatalogueQuestion): QuizQuestion {
  const out: QuizQuestion = { id: q.id, title: q.title, category: q.category, section: [...q.section], file: q.file, lang: q.lang, hasModelAnswer: q.hasModelAnswer, source: { ...q.source } };
  if (q.questionNumber !== undefined) out.questionNumber = q.questionNumber;
  if (q.difficulty !== undefined) out.difficulty = q.difficulty;
  if (q.roles !== undefined) out.roles = [...q.roles];
  return out;
}
