import type { Answer, AnswerEvent, Answerer, AnswerRequest, Citation } from '../ports/answerer.js';
import { InvalidInputError, LlmError, QbankError } from '../errors.js';
import type { Searcher, SearchResponse, SearchResult } from '../search/searcher.js';
import { abortable } from '../util/abortable.js';

export interface AskServiceDeps {
  searcher: Searcher;
  extractive: Answerer;
  /** The LLM answerer, when one is configured. */
  llm?: Answerer;
  /** Passages retrieved for an answer. 1–20, default 5. */
  k?: number;
  /** Deadline for the LLM path before falling back to the extractive answer, ms. Default 20000. */
  llmDeadlineMs?: number;
}

/** Said when the bank does not cover a question. */
export const ABSTAIN_TEXT = 'The question bank does not cover this question. The nearest questions it does cover are listed under related.';

/**
 * Answers a study question: retrieves, abstains when the bank does not cover it, otherwise
 * writes an answer with the chosen answerer, and adds the bank's follow-up questions and the
 * related questions. An LLM failure or timeout falls back to the extractive answer, flagged.
 */
export class AskService {
  constructor(private readonly deps: AskServiceDeps) {}

  get llmAvailable(): boolean {
    return this.deps.llm !== undefined;
  }

  async ask(request: AnswerRequest): Promise<Answer> {
    let done: Answer | undefined;
    for await (const event of this.stream(request)) {
      if (event.type === 'done') done = event.answer;
      if (event.type === 'error') throw new QbankError(event.code, event.message);
    }
    if (!done) throw new QbankError('answer_failed', 'The answer stream ended without an answer.');
    return done;
  }

  /** The answer as events: text deltas, citations, then `done` with the whole answer (or `error`). */
  async *stream(request: AnswerRequest): AsyncGenerator<AnswerEvent> {
    const t0 = performance.now();
    const kind = request.answerer ?? 'extractive';
    if (kind === 'llm' && !this.deps.llm) {
      throw new InvalidInputError('No LLM is configured: set OPENAI_BASE_URL / OPENAI_API_KEY and QBANK_LLM_MODEL, or ask with answerer "extractive".', 'answerer');
    }
    const searchRequest: Parameters<Searcher['search']>[0] = { query: request.question, k: request.k ?? this.deps.k ?? 5 };
    if (request.filter) searchRequest.filter = request.filter;
    const search = await this.deps.searcher.search(searchRequest);
    const t1 = performance.now();
    const related = relatedOf(search);
    const followUps = search.results[0]?.meta.followUps ?? [];

    if (search.abstained || search.results.length === 0) {
      yield { type: 'delta', text: ABSTAIN_TEXT };
      yield {
        type: 'done',
        answer: { answer: ABSTAIN_TEXT, citations: [], abstained: true, related, followUps: [], answerer: kind, timings: { searchMs: round(t1 - t0), totalMs: round(performance.now() - t0) } },
      };
      return;
    }

    const passages = search.results;
    let answerer = kind === 'llm' && this.deps.llm ? this.deps.llm : this.deps.extractive;
    let fallback: Answer['fallback'];
    const citations: Citation[] = [];
    let text = '';
    let dropped: number | undefined;
    // The LLM gets a deadline; past it (or on any failure) the extractive answer takes over.
    const deadline = answerer === this.deps.llm ? new AbortController() : undefined;
    const deadlineMs = this.deps.llmDeadlineMs ?? 20_000;
    const timer = deadline && setTimeout(() => deadline.abort(new LlmError('timeout', `The language model did not answer within ${deadlineMs} ms.`)), deadlineMs);
    try {
      for await (const event of abortable(this.#events(answerer, search.translated ?? search.query, passages, deadline?.signal), deadline?.signal)) {
        if (event.type === 'delta') text += event.text;
        if (event.type === 'citation') citations.push(event.citation);
        if (event.type === 'done') {
          text = event.answer.answer;
          dropped = event.answer.droppedCitations;
          citations.splice(0, citations.length, ...event.answer.citations);
        }
        if (event.type !== 'done') yield event;
      }
    } catch (error) {
      if (answerer === this.deps.extractive) throw error;
      dropped = undefined;
      fallback = { reason: error instanceof Error ? error.message : String(error), code: error instanceof QbankError ? error.code : 'llm_failed' };
      answerer = this.deps.extractive;
      const result = await this.deps.extractive.answer(search.translated ?? search.query, passages);
      text = result.answer;
      citations.splice(0, citations.length, ...result.citations);
      yield { type: 'delta', text: `\n\n[The language model failed (${fallback.reason}); here is the extractive answer instead.]\n\n${text}` };
      for (const c of citations) yield { type: 'citation', citation: c };
    } finally {
      clearTimeout(timer);
    }
    const answer: Answer = {
      answer: text,
      citations,
      abstained: false,
      related,
      followUps,
      answerer: answerer.kind,
      timings: { searchMs: round(t1 - t0), answerMs: round(performance.now() - t1), totalMs: round(performance.now() - t0) },
    };
    if (fallback) answer.fallback = fallback;
    if (dropped !== undefined) answer.droppedCitations = dropped;
    yield { type: 'done', answer };
  }

  async *#events(answerer: Answerer, question: string, passages: readonly SearchResult[], signal?: AbortSignal): AsyncGenerator<AnswerEvent> {
    const options = signal ? { signal } : {};
    if (answerer.stream) {
      yield* answerer.stream(question, passages, options);
      return;
    }
    const result = await answerer.answer(question, passages, options);
    yield { type: 'delta', text: result.answer };
    for (const citation of result.citations) yield { type: 'citation', citation };
  }
}

function relatedOf(search: SearchResponse): { id: string; title: string }[] {
  const seen = new Set<string>();
  const out: { id: string; title: string }[] = [];
  for (const r of search.results) {
    const title = r.source.title;
    if (!title || seen.has(title)) continue;
    seen.add(title);
    out.push({ id: r.id, title });
  }
  return out;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
