import type { Chunk } from '../ports/chunk.js';
import type { Embedder } from '../ports/embedder.js';
import type { RerankCandidate, Reranker, RerankQuery } from '../ports/reranker.js';
import type { ScoredId, SearchFilter, Store, TermStatistics } from '../ports/store.js';
import type { RetrievalConfig } from '../config.js';
import { InvalidInputError } from '../errors.js';
import { analyze } from '../lang/analyzer.js';
import { detectLanguage } from '../lang/detect-language.js';
import { dot } from '../util/dot.js';
import { reciprocalRankFusion, type RankedList } from './rrf.js';

/** Which stages run: single retrievers, their fusion, or fusion then reranking (the default). */
export type SearchMode = 'bm25' | 'dense' | 'hybrid' | 'rerank';
export const SEARCH_MODES: readonly SearchMode[] = ['bm25', 'dense', 'hybrid', 'rerank'];

/** Longest query accepted, in characters. */
export const MAX_QUERY_CHARS = 2000;

export interface SearchRequest {
  query: string;
  k?: number;
  filter?: SearchFilter;
  mode?: SearchMode;
}

/** Per-stage scores, so a user can see why a passage ranked. */
export interface StageScores {
  bm25?: number;
  dense?: number;
  fused?: number;
  rerank?: number;
}

export interface SearchResult {
  id: string;
  score: number;
  text: string;
  source: { file: string; start: number; end: number; title?: string; section: string[] };
  scores: StageScores;
  meta: {
    kind: Chunk['kind'];
    lang: string;
    questionNumber?: number;
    difficulty?: string;
    roles?: string[];
    part?: { index: number; count: number };
    followUps?: string[];
    footnotes?: { id: string; url: string; title?: string }[];
  };
  /** Ids of passages folded into this one: other parts of the same question, near-identical passages. */
  duplicates?: string[];
  /** The other parts of the same question folded into this result, with their spans in the same file. */
  parts?: { id: string; start: number; end: number }[];
}

export interface SearchResponse {
  query: string;
  /** Detected language of the query. */
  lang: string;
  /** The English text the dense retriever searched with, when the query was translated. */
  translated?: string;
  /** True when the best passage is too weak a match: the bank does not cover the question. */
  abstained: boolean;
  results: SearchResult[];
  /**
   * Milliseconds: `embedMs` until the query vector was ready (BM25 runs meanwhile),
   * `retrieveMs` the rest of retrieval and fusion, `rerankMs` loading and reranking candidates.
   */
  timings: { embedMs: number; retrieveMs: number; rerankMs: number; totalMs: number };
}

/** Turns a German query into English; see `lang/de-en.ts`. */
export interface QueryTranslator {
  isGerman(text: string): boolean;
  toEnglish(text: string): string;
}

export interface SearcherDeps {
  store: Store;
  embedder: Embedder;
  reranker: Reranker;
  retrieval: RetrievalConfig;
  translator?: QueryTranslator;
  /** Confidence below which the search abstains; see `search/abstain.ts`. */
  abstain?: (signals: AbstainSignals) => boolean;
}

/** What the abstention rule looks at: the best passage's dense similarity and term coverage. */
export interface AbstainSignals {
  topDense: number;
  topCoverage: number;
  queryTerms: number;
}

/** Cosine similarity above which two passages are the same text (a translation or a repeat). */
const DUPLICATE_COSINE = 0.95;

/**
 * Hybrid retrieval: BM25 and dense top-N, fused by reciprocal rank, then reranked, with
 * near-duplicates folded together. German queries are also searched through their English
 * translation, since the embedder and most of the bank are English.
 */
export class Searcher {
  constructor(private readonly deps: SearcherDeps) {}

  /** Document frequencies of the query's terms, when the store can tell. */
  async #termStats(terms: readonly string[]): Promise<TermStatistics | undefined> {
    if (!this.deps.store.termStatistics || terms.length === 0) return undefined;
    return this.deps.store.termStatistics(terms);
  }

  async search(request: SearchRequest): Promise<SearchResponse> {
    const t0 = performance.now();
    const query = validateQuery(request.query);
    const k = request.k ?? this.deps.retrieval.topK;
    if (!Number.isInteger(k) || k < 1 || k > 100) throw new InvalidInputError('k must be a whole number from 1 to 100.', 'k');
    const mode = request.mode ?? 'rerank';
    const { retrieval, store } = this.deps;

    const german = this.deps.translator ? this.deps.translator.isGerman(query) : detectLanguage(query) === 'de';
    const lang = german ? 'de' : 'en';
    const translated = german && this.deps.translator ? this.deps.translator.toEnglish(query) : undefined;
    const terms = german ? [...analyze(query, 'de'), ...(translated ? analyze(translated, 'en') : [])] : analyze(query, 'en');
    const denseText = translated && translated.trim() ? translated : query;

    const stats = await this.#termStats(terms);
    const idf = stats ? new Map([...new Set(terms)].map((t) => [t, bm25Idf(stats.docCount, stats.df.get(t) ?? 0)])) : undefined;
    const keywordTerms = stats ? pruneCommonTerms(terms, stats, retrieval.bm25MaxDocFraction, retrieval.bm25MaxDocs) : terms;

    const wantBm25 = mode !== 'dense';
    const wantDense = mode !== 'bm25';
    const t1 = performance.now();
    // The query is embedded (in the model's thread, for the local model) while BM25 runs here.
    const embedding = wantDense ? this.deps.embedder.embed([denseText], 'query') : undefined;
    const keyword = wantBm25 ? store.keywordSearch(keywordTerms, retrieval.bm25TopN, request.filter) : Promise.resolve([] as ScoredId[]);
    // Whichever fails first is reported; the other must not be left as an unhandled rejection.
    keyword.catch(() => undefined);
    const vector = embedding ? (await embedding)[0] : undefined;
    const t2 = performance.now();

    const [bm25, dense] = await Promise.all([
      keyword,
      wantDense && vector ? store.vectorSearch(vector, retrieval.denseTopN, request.filter) : Promise.resolve([] as ScoredId[]),
    ]);
    const lists: RankedList[] = [];
    if (wantBm25) lists.push({ name: 'bm25', weight: retrieval.bm25Weight, items: bm25 });
    if (wantDense) lists.push({ name: 'dense', weight: retrieval.denseWeight, items: dense });
    const fused = reciprocalRankFusion(lists, retrieval.rrfK);
    const t3 = performance.now();

    const depth = mode === 'rerank' ? Math.max(retrieval.rerankDepth, k) : k * 3;
    const top = fused.slice(0, depth);
    const ids = top.map((f) => f.id);
    const [chunks, vectors] = await Promise.all([store.getChunks(ids), store.getVectors(ids)]);
    const chunkById = new Map(chunks.map((c) => [c.id, c]));

    let order: { id: string; score: number; rerank?: number }[] = top.map((f) => ({ id: f.id, score: f.fused }));
    if (mode === 'rerank' && vector) {
      const candidates: RerankCandidate[] = [];
      for (const f of top) {
        const chunk = chunkById.get(f.id);
        if (!chunk) continue;
        const c: RerankCandidate = { chunk, vector: vectors.get(f.id), fused: f.fused };
        if (f.scores['bm25'] !== undefined) c.bm25 = f.scores['bm25'];
        if (f.scores['dense'] !== undefined) c.dense = f.scores['dense'];
        candidates.push(c);
      }
      const rq: RerankQuery = { text: denseText, lang, terms, vector };
      if (idf) rq.idf = idf;
      const reranked = await this.deps.reranker.rerank(rq, candidates);
      order = reranked.map((r) => ({ id: r.id, score: r.score, rerank: r.score }));
    }
    const t4 = performance.now();

    const fusedById = new Map(top.map((f) => [f.id, f]));
    const results: SearchResult[] = [];
    const keptVectors: { result: SearchResult; vector: Float32Array }[] = [];
    for (const o of order) {
      const chunk = chunkById.get(o.id);
      if (!chunk) continue;
      const v = vectors.get(o.id);
      // Another part of a question already listed, or a near-identical passage, folds into it.
      const unit = unitOf(chunk);
      const sibling = unit ? results.find((r) => unitOf(r) === unit) : undefined;
      const twin = sibling ?? (v ? keptVectors.find((kv) => dot(kv.vector, v) >= DUPLICATE_COSINE)?.result : undefined);
      if (twin) {
        (twin.duplicates ??= []).push(chunk.id);
        if (sibling) (twin.parts ??= []).push({ id: chunk.id, start: chunk.start, end: chunk.end });
        continue;
      }
      // Past k results, candidates only fold into the results already chosen.
      if (results.length >= k) continue;
      const f = fusedById.get(o.id);
      const scores: StageScores = {};
      if (f?.scores['bm25'] !== undefined) scores.bm25 = round(f.scores['bm25']);
      if (f?.scores['dense'] !== undefined) scores.dense = round(f.scores['dense']);
      else if (vector && v && mode !== 'bm25') scores.dense = round(dot(vector, v));
      if (f && lists.length > 1) scores.fused = round(f.fused);
      if (o.rerank !== undefined) scores.rerank = round(o.rerank);
      const result = toResult(chunk, round(o.score), scores);
      results.push(result);
      if (v) keptVectors.push({ result, vector: v });
    }

    const best = results[0];
    const topDense = best && vector ? dot(vector, vectors.get(best.id) ?? new Float32Array()) : 0;
    const queryTerms = new Set(terms);
    const bestTerms = best ? new Set(analyze(`${best.source.title ?? ''}\n${best.text}`, best.meta.lang === 'de' ? 'de' : 'en')) : new Set<string>();
    const topCoverage = queryTerms.size === 0 ? 0 : [...queryTerms].filter((t) => bestTerms.has(t)).length / queryTerms.size;
    const abstained = !best || (this.deps.abstain?.({ topDense, topCoverage, queryTerms: queryTerms.size }) ?? false);

    const response: SearchResponse = {
      query,
      lang,
      abstained,
      results,
      timings: { embedMs: round(t2 - t1), retrieveMs: round(t3 - t2), rerankMs: round(t4 - t3), totalMs: round(performance.now() - t0) },
    };
    if (translated) response.translated = translated;
    return response;
  }
}

/**
 * The unit a split chunk belongs to — a question answered in parts, or a long JSON record —
 * so its parts fold into one result; `undefined` for an unsplit chunk.
 */
function unitOf(c: Pick<Chunk, 'id' | 'file' | 'kind' | 'part' | 'questionNumber' | 'footnotes' | 'title'> | SearchResult): string | undefined {
  // A JSON record's parts share its id (`<id>~p<n>`); two records may share a title and no URL.
  if (('source' in c ? c.meta.kind : c.kind) === 'record') return ('source' in c ? c.meta.part : c.part) ? c.id.replace(/~p\d+$/, '') : undefined;
  if ('source' in c) {
    if (!c.meta.part) return undefined;
    return c.meta.questionNumber !== undefined ? `${c.source.file}#q${c.meta.questionNumber}` : `${c.source.file}#r${c.meta.footnotes?.[0]?.id ?? c.source.title ?? ''}`;
  }
  if (!c.part) return undefined;
  return c.questionNumber !== undefined ? `${c.file}#q${c.questionNumber}` : `${c.file}#r${c.footnotes[0]?.id ?? c.title ?? ''}`;
}

/**
 * Leaves out of the BM25 query the terms that most chunks hold: they add almost nothing to
 * the ranking (their IDF is near zero) but make BM25 score nearly every chunk, which is what
 * makes keyword search slow on a large index. At least the two rarest terms always stay.
 */
export function pruneCommonTerms(terms: readonly string[], stats: TermStatistics, maxDocFraction: number, maxDocs = Number.POSITIVE_INFINITY): string[] {
  if ((maxDocFraction >= 1 && !Number.isFinite(maxDocs)) || stats.docCount === 0) return [...terms];
  const limit = Math.min(maxDocFraction * stats.docCount, maxDocs);
  const keep = new Set([...new Set(terms)].filter((t) => (stats.df.get(t) ?? 0) <= limit));
  const rarest = [...new Set(terms)].sort((a, b) => (stats.df.get(a) ?? 0) - (stats.df.get(b) ?? 0)).slice(0, 2);
  for (const t of rarest) keep.add(t);
  return terms.filter((t) => keep.has(t));
}

/** BM25's IDF, ln(1 + (N − df + 0.5) / (df + 0.5)); terms in no chunk weigh nothing. */
function bm25Idf(docCount: number, df: number): number {
  return df === 0 ? 0 : Math.log(1 + (docCount - df + 0.5) / (df + 0.5));
}

export function validateQuery(query: unknown): string {
  if (typeof query !== 'string') throw new InvalidInputError('The query must be a string.', 'query');
  const q = query.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ' ').trim();
  if (q.length === 0) throw new InvalidInputError('The query is empty; ask a question or give search words.', 'query');
  if (q.length > MAX_QUERY_CHARS) throw new InvalidInputError(`The query is ${q.length} characters long; the limit is ${MAX_QUERY_CHARS}.`, 'query');
  return q;
}

function toResult(chunk: Chunk, score: number, scores: StageScores): SearchResult {
  const source: SearchResult['source'] = { file: chunk.file, start: chunk.start, end: chunk.end, section: chunk.section };
  if (chunk.title !== undefined) source.title = chunk.title;
  const meta: SearchResult['meta'] = { kind: chunk.kind, lang: chunk.lang };
  if (chunk.questionNumber !== undefined) meta.questionNumber = chunk.questionNumber;
  if (chunk.difficulty !== undefined) meta.difficulty = chunk.difficulty;
  if (chunk.roles !== undefined) meta.roles = chunk.roles;
  if (chunk.part !== undefined) meta.part = chunk.part;
  if (chunk.followUps !== undefined) meta.followUps = chunk.followUps;
  if (chunk.footnotes.length > 0) meta.footnotes = chunk.footnotes;
  return { id: chunk.id, score, text: chunk.text, source, scores, meta };
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
