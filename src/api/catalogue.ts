import type { Chunk } from '../ports/chunk.js';
import type { Store } from '../ports/store.js';
import { documentTitle } from '../corpus/document-title.js';
import { IndexSnapshot } from '../store/index-snapshot.js';
import { normaliseTitle } from '../study/question-catalogue.js';

/** One question of the bank, as the browse view lists it. */
export interface QuestionEntry {
  id: string;
  title: string;
  category: string;
  section: string[];
  file: string;
  lang: string;
  questionNumber?: number;
  difficulty?: string;
  roles?: string[];
  /** The same question in other documents (same title, ignoring its "Q12." number). */
  alsoIn?: { id: string; file: string }[];
}

export interface DocumentEntry {
  file: string;
  title: string;
  lang: string;
  chunkCount: number;
  questionCount: number;
  categories: string[];
}

export interface QuestionQuery {
  category?: string | undefined;
  difficulty?: string | undefined;
  lang?: string | undefined;
  q?: string | undefined;
  limit: number;
  offset: number;
}

type Facet = { value: string; count: number }[];

interface Snapshot {
  documents: DocumentEntry[];
  questions: QuestionEntry[];
  facets: { categories: Facet; difficulties: Facet; langs: Facet };
}

/**
 * The bank's documents and questions, read from the store once and kept until the index
 * changes (its file hashes differ), so browsing costs one `listFiles` per request.
 */
export class BankCatalogue {
  readonly #snapshot: IndexSnapshot<Snapshot>;

  constructor(
    private readonly store: Store,
    private readonly fileText: (file: string) => string,
  ) {
    this.#snapshot = new IndexSnapshot(store, (files) => this.#build(files));
  }

  async documents(): Promise<DocumentEntry[]> {
    return (await this.#current()).documents;
  }

  async questions(query: QuestionQuery): Promise<{ total: number; limit: number; offset: number; questions: QuestionEntry[]; facets: Snapshot['facets'] }> {
    const snap = await this.#current();
    const category = query.category?.trim().toLowerCase();
    const difficulty = query.difficulty?.trim().toLowerCase();
    const lang = query.lang?.trim().toLowerCase();
    const words = query.q?.toLowerCase().split(/\s+/).filter(Boolean) ?? [];
    const matching = snap.questions.filter(
      (q) =>
        (!category || q.category.toLowerCase().includes(category)) &&
        (!difficulty || q.difficulty?.toLowerCase() === difficulty) &&
        (!lang || q.lang === lang) &&
        words.every((w) => q.title.toLowerCase().includes(w)),
    );
    return { total: matching.length, limit: query.limit, offset: query.offset, questions: matching.slice(query.offset, query.offset + query.limit), facets: snap.facets };
  }

  #current(): Promise<Snapshot> {
    return this.#snapshot.current();
  }

  async #build(files: string[]): Promise<Snapshot> {
    const documents: DocumentEntry[] = [];
    const questions: QuestionEntry[] = [];
    const byTitle = new Map<string, QuestionEntry>();
    for (const file of files) {
      const chunks = await this.store.chunksOfFile(file);
      let title = file;
      try {
        title = documentTitle(this.fileText(file), file);
      } catch {
        // The file left the corpus after it was indexed; its name will do.
      }
      const categories = [...new Set(chunks.map(categoryOf).filter((c) => c !== ''))];
      let questionCount = 0;
      for (const chunk of chunks) {
        if (chunk.kind !== 'qa' || !chunk.title || (chunk.part && chunk.part.index > 0)) continue;
        const key = normaliseTitle(chunk.title);
        const seen = byTitle.get(key);
        if (seen) {
          if (seen.file !== file) (seen.alsoIn ??= []).push({ id: chunk.id, file });
          continue;
        }
        questionCount += 1;
        const entry = toEntry(chunk);
        byTitle.set(key, entry);
        questions.push(entry);
      }
      documents.push({ file, title, lang: majority(chunks.map((c) => c.lang)) ?? 'en', chunkCount: chunks.length, questionCount, categories });
    }
    const facet = (values: (string | undefined)[]): Facet => {
      const counts = new Map<string, number>();
      for (const v of values) if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
      return [...counts].map(([value, count]) => ({ value, count }));
    };
    const order = ['easy', 'medium', 'hard'];
    const difficulties = facet(questions.map((q) => q.difficulty)).sort((a, b) => rank(order, a.value) - rank(order, b.value));
    return { documents, questions, facets: { categories: facet(questions.map((q) => q.category)), difficulties, langs: facet(questions.map((q) => q.lang)) } };
  }
}

function toEntry(chunk: Chunk): QuestionEntry {
  const e: QuestionEntry = { id: chunk.id, title: chunk.title ?? '', category: categoryOf(chunk), section: chunk.section, file: chunk.file, lang: chunk.lang };
  if (chunk.questionNumber !== undefined) e.questionNumber = chunk.questionNumber;
  if (chunk.difficulty !== undefined) e.difficulty = chunk.difficulty;
  if (chunk.roles !== undefined) e.roles = chunk.roles;
  return e;
}

function categoryOf(chunk: Pick<Chunk, 'section'>): string {
  return chunk.section[0]?.trim() ?? '';
}

function majority(values: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
}

function rank(order: string[], value: string): number {
  const i = order.indexOf(value.toLowerCase());
  return i < 0 ? order.length : i;
}
