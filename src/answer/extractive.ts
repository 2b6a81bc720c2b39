import type { Answerer, AnswerEvent, Citation } from '../ports/answerer.js';
import type { Embedder } from '../ports/embedder.js';
import type { SearchResult } from '../search/searcher.js';
import { analyze } from '../lang/analyzer.js';
import { dot } from '../util/dot.js';
import { comparisonSides } from './comparison.js';
import { splitSentences, type SourceSentence } from './sentences.js';

/**
 * Knobs of the extractive answer.
 *
 * @example
 * new ExtractiveAnswerer({ embedder, fileText }, { minWords: 80, maxWords: 200 })
 */
export interface ExtractiveOptions {
  /** Stop adding sentences once the answer has this many words. 20–400, default 80… */
  minWords: number;
  /** …and never exceed this many. 40–600, default 200. */
  maxWords: number;
  /** Passages sentences are taken from, best first. 1–10, default 4. */
  maxPassages: number;
  /** Sentences per passage considered. 1–50, default 14. */
  sentencesPerPassage: number;
  /** Relevance vs novelty in maximal-marginal-relevance selection. 0–1, default 0.75. */
  lambda: number;
  /** Words taken in order from the matched question's own answer before other passages are drawn on. 0–400, default 110. */
  leadWords: number;
}

/** Bonus by passage rank: the top passage is usually the bank's answer to this very question. */
const PASSAGE_PRIOR = [0.25, 0.1, 0.05];

export const DEFAULT_EXTRACTIVE_OPTIONS: ExtractiveOptions = { minWords: 80, maxWords: 200, maxPassages: 4, sentencesPerPassage: 14, lambda: 0.75, leadWords: 110 };

export interface ExtractiveDeps {
  /** Embeds sentences (a cached embedder: the same sentence is embedded once). */
  embedder: Embedder;
  /** The original text of a corpus file, for exact quotes. */
  fileText: (file: string) => string;
}

interface Candidate {
  passage: SearchResult;
  passageRank: number;
  sentence: SourceSentence;
  terms: Set<string>;
  vector: Float32Array | undefined;
  relevance: number;
}

/**
 * The default answerer, with no model server: it picks sentences of the best passages that
 * answer the question (similarity with the same embedder, term overlap, the passage's rank),
 * avoids repeating itself (MMR), covers both sides of a comparison, keeps the bank's order,
 * and cites every sentence with its exact source span.
 */
export class ExtractiveAnswerer implements Answerer {
  readonly kind = 'extractive' as const;
  constructor(
    private readonly deps: ExtractiveDeps,
    private readonly options: ExtractiveOptions = DEFAULT_EXTRACTIVE_OPTIONS,
  ) {}

  async answer(question: string, passages: readonly SearchResult[]): Promise<{ answer: string; citations: Citation[]; answerer: 'extractive' }> {
    const o = this.options;
    const candidates: Candidate[] = [];
    // Question lists hold questions, not answers: quote them only when nothing else was found.
    const answering = passages.filter((p) => p.meta.kind !== 'question-list');
    (answering.length > 0 ? answering : passages).slice(0, o.maxPassages).forEach((passage, passageRank) => {
      const text = this.deps.fileText(passage.source.file);
      const markdown = isMarkdownSource(passage.source.file, text);
      // A question answered in several parts is read whole, in the bank's order.
      const spans = [{ start: passage.source.start, end: passage.source.end }, ...(passage.parts ?? [])].sort((a, b) => a.start - b.start);
      const sentences = spans.flatMap((span) => splitSentences(text, span.start, span.end, { markdown })).map((sentence, index) => ({ ...sentence, index }));
      for (const sentence of sentences.filter(isStatement).slice(0, o.sentencesPerPassage)) {
        candidates.push({ passage, passageRank, sentence, terms: new Set(analyze(sentence.text, passage.meta.lang === 'de' ? 'de' : 'en')), relevance: 0, vector: undefined });
      }
    });
    if (candidates.length === 0) return { answer: '', citations: [], answerer: 'extractive' };

    // The question as a query: the searcher embedded the same text a moment ago, so its cache answers.
    const [[qv], vectors] = await Promise.all([this.deps.embedder.embed([question], 'query'), this.deps.embedder.embed(candidates.map((c) => c.sentence.text), 'passage')]);
    candidates.forEach((c, i) => {
      c.vector = vectors[i];
    });
    const queryTerms = new Set(analyze(question, 'en'));
    for (const c of candidates) {
      const sim = qv && c.vector ? dot(qv, c.vector) : 0;
      const overlap = queryTerms.size === 0 ? 0 : [...queryTerms].filter((t) => c.terms.has(t)).length / queryTerms.size;
      // The best passage is the bank's own answer, and an answer's opening sentences carry its definition.
      c.relevance = sim + 0.3 * overlap + (PASSAGE_PRIOR[c.passageRank] ?? 0) + 0.1 / (1 + c.sentence.index);
    }

    const selected = select(candidates, comparisonSides(question), o);
    // A coherent order: passages by rank, sentences in the bank's order within each.
    selected.sort((a, b) => a.passageRank - b.passageRank || a.sentence.index - b.sentence.index);
    const citations: Citation[] = [];
    const parts: string[] = [];
    for (const c of selected) {
      const n = citations.length + 1;
      const source: Citation['source'] = { file: c.passage.source.file, start: c.sentence.start, end: c.sentence.end, section: c.passage.source.section };
      if (c.passage.source.title !== undefined) source.title = c.passage.source.title;
      citations.push({ n, id: c.passage.id, quote: c.sentence.quote, source, verified: this.deps.fileText(source.file).slice(source.start, source.end) === c.sentence.quote });
      parts.push(`${stripTrailingSpace(c.sentence.text)} [${n}]`);
    }
    return { answer: parts.join(' '), citations, answerer: 'extractive' };
  }

  async *stream(question: string, passages: readonly SearchResult[]): AsyncIterable<AnswerEvent> {
    const result = await this.answer(question, passages);
    const pieces = result.answer.split(/(?<=\]) /);
    for (const piece of pieces) yield { type: 'delta', text: piece + (piece === pieces.at(-1) ? '' : ' ') };
    for (const citation of result.citations) yield { type: 'citation', citation };
  }
}

function select(candidates: Candidate[], sides: string[][] | undefined, o: ExtractiveOptions): Candidate[] {
  const chosen: Candidate[] = [];
  let words = 0;
  const wordsOf = (c: Candidate) => c.sentence.text.split(/\s+/).length;
  const redundancy = (c: Candidate) => Math.max(0, ...chosen.map((s) => (s.vector && c.vector ? dot(s.vector, c.vector) : 0)));
  const take = (c: Candidate) => {
    chosen.push(c);
    words += wordsOf(c);
  };
  // The matched question's own answer leads, in the bank's order: its opening sentences that
  // bear on the question (a lead that drifts off topic is cut short).
  const lead = candidates.filter((c) => c.passageRank === 0 && c.passage.meta.kind === 'qa');
  const leadBest = Math.max(0, ...lead.map((c) => c.relevance));
  for (const c of lead) {
    if (words >= o.leadWords || words + wordsOf(c) > o.maxWords) break;
    if (c.relevance >= 0.45 * leadBest) take(c);
  }
  // A comparison covers each side with its best sentence.
  if (sides) {
    for (const side of sides) {
      if (chosen.some((c) => side.some((t) => c.terms.has(t)))) continue;
      const best = candidates
        .filter((c) => !chosen.includes(c) && side.some((t) => c.terms.has(t)))
        .sort((a, b) => b.relevance - a.relevance)[0];
      if (best && words + wordsOf(best) <= o.maxWords) take(best);
    }
  }
  while (words < o.minWords) {
    let best: Candidate | undefined;
    let bestScore = -Infinity;
    for (const c of candidates) {
      if (chosen.includes(c) || words + wordsOf(c) > o.maxWords) continue;
      const score = o.lambda * c.relevance - (1 - o.lambda) * redundancy(c);
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    if (!best) break;
    // Past a short answer, stop rather than pad it with sentences much weaker than the first.
    const strongest = Math.max(...chosen.map((c) => c.relevance));
    if (chosen.length > 0 && words >= o.minWords / 2 && best.relevance < 0.8 * strongest) break;
    // Never repeat a sentence that says the same as one already chosen.
    if (redundancy(best) > 0.92) {
      candidates = candidates.filter((c) => c !== best);
      continue;
    }
    take(best);
  }
  return chosen;
}

/** Whether a corpus file's sentences are split as markdown: anything but a plain-text `.txt` scrape. */
export function isMarkdownSource(file: string, text: string): boolean {
  return !file.endsWith('.txt') || text.startsWith('---') || text.startsWith('#');
}

/**
 * Whether a sentence can stand in an answer: a statement of a few words, not a question from a
 * list, not a lead-in ending in a colon, not a table row whose cells the scrape ran together.
 */
const PROMPT_START = /^(?:design|explain|describe|walk (?:me )?through|compare|discuss|implement|build|write|derive|how|what|why|when|which|who|where|tell me|you have|you're|you are|your|imagine|suppose|given|create|name|list)\b/i;

export function isStatement(s: SourceSentence): boolean {
  const t = s.text.trim();
  if (t.endsWith('?') || t.endsWith(':')) return false;
  // Interview prompts ("Design a RAG system …", "Walk through …") are questions, not statements.
  if (PROMPT_START.test(t)) return false;
  if (t.split(/\s+/).length < 6) return false;
  // Table rows whose cells the scrape ran together ("MQA1 (shared across all)Smallest KV cache").
  if (/\)[A-Z~]|^[A-Z]{2,}[a-z0-9]\b|[a-z][A-Z]{2,}[a-z]/.test(t)) return false;
  const runTogether = t.match(/[a-z0-9)][A-Z][a-z]/g)?.length ?? 0;
  return runTogether < 2;
}

function stripTrailingSpace(s: string): string {
  return s.replace(/\s+$/, '');
}
