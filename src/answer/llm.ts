import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { Answer, Answerer, AnswerEvent, Citation } from '../ports/answerer.js';
import type { Embedder } from '../ports/embedder.js';
import type { SearchResult } from '../search/searcher.js';
import { LlmError, QbankError } from '../errors.js';
import { abortable } from '../util/abortable.js';
import { dot } from '../util/dot.js';
import { parseClaims, type MarkerGroup } from './claims.js';
import { buildAnswerPrompt, unescapeText, type AnswerPrompt } from './prompt.js';
import { splitSentences } from './sentences.js';
import { combineSupport, lexicalSupport, supportVerdict, SUPPORT_THRESHOLDS, verifyQuote, type Support, type SupportThresholds } from './verify.js';

/**
 * Knobs of the LLM answer. Temperature and the token limit are settings of the chat model
 * itself (LangChain takes them in the model's constructor, not per call), so they live in the
 * `llm` config and are applied where the model is built (`compose.ts`).
 *
 * @example
 * new LlmAnswerer({ model, embedder, fileText }, { timeoutMs: 30_000, maxSources: 5 })
 */
export interface LlmAnswererOptions {
  /** Longest wait for the model's whole answer, ms; then `LlmError` with reason `timeout`. 1000–600000, default 20000. */
  timeoutMs: number;
  /** Passages given to the model as numbered sources, best first. 1–20, default 6. */
  maxSources: number;
  /** When a citation is verified, kept unverified, or dropped; see `verify.ts`. */
  thresholds: SupportThresholds;
}

export const DEFAULT_LLM_OPTIONS: LlmAnswererOptions = { timeoutMs: 20_000, maxSources: 6, thresholds: SUPPORT_THRESHOLDS };

export interface LlmAnswererDeps {
  /**
   * Any LangChain chat model (`ChatOpenAI` against an OpenAI-compatible server, a fake chat
   * model in tests), or a function that loads it on first use: importing LangChain costs about
   * a second, which a process that never asks the LLM should not pay.
   */
  model: BaseChatModel | (() => Promise<BaseChatModel>);
  /** The embedder the bank was indexed with: the semantic half of verification. */
  embedder: Embedder;
  /** The original text of a corpus file, for exact quotes. */
  fileText: (file: string) => string;
}

/** A span of a source that may be quoted: one sentence, or two adjacent ones. */
interface Candidate {
  start: number;
  end: number;
  quote: string;
  /** Cleaned text, for scoring. */
  text: string;
  sentences: 1 | 2;
}

/** A two-sentence quote must beat the best single sentence by this much to be chosen. */
const PAIR_MARGIN = 0.05;

/**
 * Answers with a chat model that may only use the numbered sources, then checks every
 * citation: each marker `[n]` of a sentence is matched to the sentence (or two adjacent
 * sentences) of source n that best supports it, quoted exactly from the file, and scored
 * lexically and with the embedder. A weakly supported citation stays with `verified: false`;
 * an unsupported one, or one pointing at a source that does not exist, is removed from the
 * text and counted in `droppedCitations`, and the answer says so.
 *
 * Citations come in the answer's order. `n` is the source number the model wrote, so a source
 * cited for two claims can give two citations with the same `n` and different quotes.
 *
 * `stream()` passes the model's tokens through as they arrive; the verified text (markers of
 * dropped citations removed, the note appended) is the `done` answer. A timeout, an abort or a
 * server error throws an `LlmError`, on which the ask service falls back to the extractive answer.
 */
export class LlmAnswerer implements Answerer {
  readonly kind = 'llm' as const;
  private readonly options: LlmAnswererOptions;

  constructor(
    private readonly deps: LlmAnswererDeps,
    options: Partial<LlmAnswererOptions> = {},
  ) {
    this.options = { ...DEFAULT_LLM_OPTIONS, ...options };
  }

  async answer(question: string, passages: readonly SearchResult[], options: { signal?: AbortSignal } = {}): Promise<Omit<Answer, 'related' | 'followUps' | 'abstained' | 'timings'>> {
    let done: Answer | undefined;
    for await (const event of this.stream(question, passages, options)) if (event.type === 'done') done = event.answer;
    if (!done) throw new LlmError('failed', 'The language model answer ended without a result.');
    const { answer, citations, droppedCitations } = done;
    return { answer, citations, answerer: 'llm', droppedCitations: droppedCitations ?? 0 };
  }

  async *stream(question: string, passages: readonly SearchResult[], options: { signal?: AbortSignal } = {}): AsyncGenerator<AnswerEvent> {
    const sources = passages.slice(0, this.options.maxSources);
    let text = '';
    for await (const delta of this.#generate(buildAnswerPrompt(question, sources), options.signal)) {
      text += delta;
      yield { type: 'delta', text: delta };
    }
    if (text.trim() === '') throw new LlmError('failed', 'The language model returned an empty answer.');

    const checked = await this.#verify(text, sources);
    const unverified = checked.citations.filter((c) => !c.verified).length;
    const note = verificationNote(checked.dropped, unverified);
    if (note) yield { type: 'delta', text: `\n\n${note}` };
    for (const citation of checked.citations) yield { type: 'citation', citation };
    const answer = note ? `${checked.text.trimEnd()}\n\n${note}` : checked.text;
    yield {
      type: 'done',
      answer: { answer, citations: checked.citations, abstained: false, related: [], followUps: [], answerer: 'llm', droppedCitations: checked.dropped, timings: {} },
    };
  }

  /** The model's text as it streams, within the timeout and the caller's signal. */
  async *#generate(prompt: AnswerPrompt, signal: AbortSignal | undefined): AsyncGenerator<string> {
    const ms = this.options.timeoutMs;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new LlmError('timeout', `The language model did not finish its answer within ${ms} ms.`)), ms);
    const combined = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
    const load = this.deps.model;
    // Role/content pairs: LangChain turns them into its message classes, so this module need not load them.
    const messages: [string, string][] = [
      ['system', prompt.system],
      ['human', prompt.user],
    ];
    async function* tokens(): AsyncGenerator<string> {
      const model = typeof load === 'function' ? await load() : load;
      const stream = await model.stream(messages, { signal: combined });
      for await (const chunk of stream) yield chunk.text;
    }
    try {
      // abortable() also stops a model that ignores the signal.
      for await (const token of abortable(tokens(), combined)) if (token) yield token;
      // Some adapters (ChatOpenAI among them) end a stream quietly when it is aborted.
      combined.throwIfAborted();
    } catch (cause) {
      throw asLlmError(cause, deadline.signal, signal);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Verifies every citation of the answer; returns the text without the dropped markers. */
  async #verify(text: string, sources: readonly SearchResult[]): Promise<{ text: string; citations: Citation[]; dropped: number }> {
    const claims = parseClaims(text);
    const candidates = new Map<number, Candidate[]>();
    const candidatesOf = (n: number): Candidate[] => {
      let found = candidates.get(n);
      if (!found) {
        const passage = sources[n - 1];
        found = passage ? this.#candidates(passage) : [];
        candidates.set(n, found);
      }
      return found;
    };

    // Every (claim, source) pair to check, once per claim.
    const refs: { claim: number; n: number; text: string }[] = [];
    claims.forEach((claim, i) => {
      const ns = new Set(claim.markers.flatMap((m) => m.ns));
      for (const n of ns) refs.push({ claim: i, n, text: unescapeText(claim.text) });
    });
    const texts = new Set<string>();
    for (const r of refs) {
      if (!/[\p{L}\p{N}]/u.test(r.text) || candidatesOf(r.n).length === 0) continue;
      texts.add(r.text);
      for (const c of candidatesOf(r.n)) texts.add(c.text);
    }
    const list = [...texts];
    const vectors = new Map<string, Float32Array>();
    if (list.length > 0) (await this.deps.embedder.embed(list, 'passage')).forEach((v, i) => vectors.set(list[i] as string, v));

    const keep = new Set<string>();
    const citations: Citation[] = [];
    const byKey = new Map<string, Citation>();
    let dropped = 0;
    for (const ref of refs) {
      const passage = sources[ref.n - 1];
      const best = passage ? this.#best(ref.text, candidatesOf(ref.n), vectors, passage.meta.lang === 'de' ? 'de' : 'en') : undefined;
      const verdict = best ? supportVerdict(best.support, this.options.thresholds) : 'unsupported';
      if (!passage || !best || verdict === 'unsupported') {
        dropped += 1;
        continue;
      }
      const source: Citation['source'] = { file: passage.source.file, start: best.candidate.start, end: best.candidate.end, section: passage.source.section };
      if (passage.source.title !== undefined) source.title = passage.source.title;
      const citation: Citation = { n: ref.n, id: passage.id, quote: best.candidate.quote, source, verified: verdict === 'supported' };
      if (!verifyQuote(this.deps.fileText(source.file), citation)) {
        dropped += 1;
        continue;
      }
      keep.add(`${ref.claim}:${ref.n}`);
      const key = `${citation.n}:${source.file}:${source.start}:${source.end}`;
      const same = byKey.get(key);
      if (same) {
        same.verified &&= citation.verified;
        continue;
      }
      byKey.set(key, citation);
      citations.push(citation);
    }

    const edits: { group: MarkerGroup; kept: number[] }[] = [];
    claims.forEach((claim, i) => {
      for (const group of claim.markers) edits.push({ group, kept: [...new Set(group.ns)].filter((n) => keep.has(`${i}:${n}`)) });
    });
    return { text: removeMarkers(text, edits), citations, dropped };
  }

  /** Sentences of a passage's source span, and pairs of adjacent ones, as quotable candidates. */
  #candidates(passage: SearchResult): Candidate[] {
    const fileText = this.deps.fileText(passage.source.file);
    const markdown = !passage.source.file.endsWith('.txt') || fileText.startsWith('---') || fileText.startsWith('#');
    let sentences = splitSentences(fileText, passage.source.start, passage.source.end, { markdown });
    if (sentences.length === 0) sentences = splitSentences(fileText, passage.source.start, passage.source.end, { markdown, minChars: 1 });
    const out: Candidate[] = sentences.map((s) => ({ start: s.start, end: s.end, quote: s.quote, text: s.text, sentences: 1 }));
    for (let i = 0; i + 1 < sentences.length; i++) {
      const a = sentences[i];
      const b = sentences[i + 1];
      if (!a || !b || fileText.slice(a.end, b.start).trim() !== '') continue;
      out.push({ start: a.start, end: b.end, quote: fileText.slice(a.start, b.end), text: `${a.text} ${b.text}`, sentences: 2 });
    }
    return out;
  }

  #best(claim: string, candidates: readonly Candidate[], vectors: ReadonlyMap<string, Float32Array>, lang: 'en' | 'de'): { candidate: Candidate; support: Support } | undefined {
    const cv = vectors.get(claim);
    if (!cv) return undefined;
    let best: { candidate: Candidate; support: Support; rank: number } | undefined;
    for (const candidate of candidates) {
      const v = vectors.get(candidate.text);
      const support = combineSupport(lexicalSupport(claim, candidate.text, lang), v ? dot(cv, v) : 0, this.options.thresholds);
      const rank = support.score - (candidate.sentences === 2 ? PAIR_MARGIN : 0) + (support.missingNumbers.length === 0 ? 1 : 0);
      if (!best || rank > best.rank) best = { candidate, support, rank };
    }
    return best && { candidate: best.candidate, support: best.support };
  }
}

/** Rewrites marker groups to the kept numbers; a group with none left goes, with the space before it. */
function removeMarkers(text: string, edits: readonly { group: MarkerGroup; kept: number[] }[]): string {
  let out = '';
  let at = 0;
  for (const { group, kept } of [...edits].sort((a, b) => a.group.start - b.group.start)) {
    if (kept.length === new Set(group.ns).size) continue;
    let cut = group.start;
    if (kept.length === 0) while (cut > at && /[ \t]/.test(text[cut - 1] ?? '')) cut -= 1;
    out += text.slice(at, cut) + kept.map((n) => `[${n}]`).join('');
    at = group.end;
  }
  return out + text.slice(at);
}

/** Says how many citations were removed and how many are only weakly supported. */
export function verificationNote(dropped: number, unverified: number): string {
  const parts: string[] = [];
  if (dropped > 0) parts.push(`(${dropped} ${dropped === 1 ? 'citation' : 'citations'} could not be verified and ${dropped === 1 ? 'was' : 'were'} removed.)`);
  if (unverified > 0) parts.push(`(${unverified} ${unverified === 1 ? 'citation is' : 'citations are'} only weakly supported by the quoted source and marked unverified.)`);
  return parts.join(' ');
}

function asLlmError(cause: unknown, deadline: AbortSignal, caller: AbortSignal | undefined): QbankError {
  if (deadline.aborted && deadline.reason instanceof QbankError) return deadline.reason;
  if (caller?.aborted) {
    if (caller.reason instanceof QbankError) return caller.reason;
    return new LlmError('aborted', 'The answer was cancelled before the language model finished.', { cause: caller.reason });
  }
  if (cause instanceof QbankError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new LlmError('failed', `The language model failed: ${message.replace(/\s+/g, ' ').trim()}`, { cause });
}
