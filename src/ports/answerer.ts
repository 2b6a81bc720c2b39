import type { SearchFilter } from './store.js';
import type { SearchResult } from '../search/searcher.js';

/** A citation: the exact quoted span of the bank that supports a claim. */
export interface Citation {
  /** Marker number as it appears in the answer text: `[n]`. */
  n: number;
  /** Chunk id. */
  id: string;
  /** Exact substring of the original file's `text.slice(source.start, source.end)`. */
  quote: string;
  source: { file: string; start: number; end: number; title?: string; section: string[] };
  /** Whether the cited sentence is supported by the quote (lexically and semantically). */
  verified: boolean;
}

export interface AnswerRequest {
  question: string;
  k?: number;
  filter?: SearchFilter;
  answerer?: 'extractive' | 'llm';
}

export interface Answer {
  answer: string;
  citations: Citation[];
  abstained: boolean;
  /** Nearest questions of the bank (always for an abstention; otherwise the other top passages). */
  related: { id: string; title: string }[];
  /** The bank's follow-up questions for the matched question. */
  followUps: string[];
  /** Which answerer produced the text, and whether the LLM path fell back to extraction. */
  answerer: 'extractive' | 'llm';
  /** Why the LLM path fell back to extraction: the error's code (`llm_timeout`, `llm_failed`, …) and message. */
  fallback?: { reason: string; code: string };
  /** Citations dropped because verification failed (LLM path). */
  droppedCitations?: number;
  timings: Record<string, number>;
}

/** Streamed pieces of an answer, in order: deltas of text, citations, then done (or error). */
export type AnswerEvent =
  | { type: 'delta'; text: string }
  | { type: 'citation'; citation: Citation }
  | { type: 'done'; answer: Answer }
  | { type: 'error'; message: string; code: string };

/**
 * Writes an answer from retrieved passages. Implementations: `answer/extractive.ts` (default,
 * no model server) and `answer/llm.ts` (ChatOpenAI against any OpenAI-compatible server).
 */
export interface Answerer {
  readonly kind: 'extractive' | 'llm';
  answer(question: string, passages: readonly SearchResult[], options?: { signal?: AbortSignal }): Promise<Omit<Answer, 'related' | 'followUps' | 'abstained' | 'timings'>>;
  stream?(question: string, passages: readonly SearchResult[], options?: { signal?: AbortSignal }): AsyncIterable<AnswerEvent>;
}
