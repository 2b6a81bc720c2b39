import type { RerankCandidate, Reranker, RerankQuery } from '../ports/reranker.js';
import { analyze } from '../lang/analyzer.js';
import { dot } from '../util/dot.js';

/**
 * Weights of the signals the default reranker combines. Each is 0–10; the defaults are the
 * ones the development set measured best (`npm run eval:retrieval -- --sweep`).
 *
 * @example
 * new HeuristicReranker({ fused: 1, dense: 1, titleCoverage: 0.5, textCoverage: 0.3, declared: 1 })
 */
export interface HeuristicWeights {
  /** Rank-fusion score, scaled so that the best candidate has 1. */
  fused: number;
  /** Cosine similarity of query and passage vectors. */
  dense: number;
  /** IDF-weighted share of the query's terms found in the passage's question title. */
  titleCoverage: number;
  /** IDF-weighted share of the query's terms found anywhere in the passage. */
  textCoverage: number;
  /**
   * IDF-weighted share of the query's terms that the passage declares as code (`class X`,
   * `def f`, `fn g`, `interface I`, and in code a typed `public Hash hash(…) {`): of the chunks
   * of a file that all mention a class, the one that defines it is what "what is X for?" asks
   * about. Prose declares nothing.
   */
  declared: number;
}

export const DEFAULT_HEURISTIC_WEIGHTS: HeuristicWeights = { fused: 1, dense: 1, titleCoverage: 0.5, textCoverage: 0.6, declared: 1 };

/**
 * The default reranker, for machines without a cross-encoder: it re-scores fused candidates by
 * how well the query matches the passage's question title and text, not only by rank.
 */
export class HeuristicReranker implements Reranker {
  readonly id = 'heuristic';
  readonly #terms = new Map<string, PassageTerms>();

  constructor(private readonly weights: HeuristicWeights = DEFAULT_HEURISTIC_WEIGHTS) {}

  async rerank(query: RerankQuery, candidates: readonly RerankCandidate[]): Promise<{ id: string; score: number }[]> {
    const maxFused = Math.max(...candidates.map((c) => c.fused), Number.MIN_VALUE);
    const queryTerms = new Set(query.terms);
    const idf = (t: string) => query.idf?.get(t) ?? (query.idf ? 0 : 1);
    const w = this.weights;
    return candidates
      .map((c) => {
        const terms = this.#termsOf(c);
        const dense = c.vector ? dot(query.vector, c.vector) : (c.dense ?? 0);
        const score =
          w.fused * (c.fused / maxFused) +
          w.dense * dense +
          w.titleCoverage * coverage(queryTerms, terms.title, idf) +
          w.textCoverage * coverage(queryTerms, terms.text, idf) +
          w.declared * coverage(queryTerms, terms.declared, idf);
        return { id: c.chunk.id, score };
      })
      .sort((a, b) => b.score - a.score);
  }

  #termsOf(c: RerankCandidate): PassageTerms {
    let t = this.#terms.get(c.chunk.id);
    if (!t) {
      const lang = c.chunk.lang === 'de' ? 'de' : 'en';
      // A page's opening section carries the page title, which names the whole bank, not this passage.
      const ownTitle = c.chunk.title !== undefined && (c.chunk.kind !== 'section' || c.chunk.section.length > 0);
      const title = new Set(ownTitle && c.chunk.title ? analyze(c.chunk.title, lang) : []);
      // A JSON record's section path is indexed with it (its contextual header), so it counts as its text.
      const header = c.chunk.kind === 'record' ? analyze(c.chunk.section.join('\n'), lang) : [];
      t = { title, text: new Set([...title, ...header, ...analyze(c.chunk.text, lang)]), declared: declaredNames(c.chunk.text, lang) };
      if (this.#terms.size > 20_000) this.#terms.clear();
      this.#terms.set(c.chunk.id, t);
    }
    return t;
  }
}

interface PassageTerms {
  title: Set<string>;
  text: Set<string>;
  declared: Set<string>;
}

/** A name after a declaring keyword of a common language. */
const DECLARATION = /\b(?:class|struct|interface|enum|trait|impl|type|def|fn|func|function|namespace|module|record|object|union)\s+([\p{L}_$][\p{L}\p{N}_$]*)/gu;

/**
 * A C-family function or method declared on its own line: a return type (and modifiers) before
 * the name, the parameter list opened after it, and no `;` or `=` that would make it a call or
 * an assignment (`public Hash hash(CharSequence pw) {`, `Expect<uint32_t> body(const Frame &,`).
 */
const TYPED_DECLARATION = /^[ \t]*(?:@[\w.]+(?:\([^)\n]*\))?[ \t]+)*(?:[\w$:.<>,[\]?*&~]+[ \t]+)+?(?:[\p{L}_$][\p{L}\p{N}_$]*::)*([\p{L}_$][\p{L}\p{N}_$]*)[ \t]*\([^;=\n]*$/gmu;

/** Words that put a name after them without declaring it (`return f(x`, `new Foo(`, `else if (`). */
const NOT_A_TYPE = /^(?:return|new|else|throw|case|await|yield|delete|goto|if|while|for|switch|catch|do|in|of|typeof|instanceof|not|and|or|assert|print|echo|raise|sizeof)$/;

/** The terms of the names a passage declares, each whole ("HashBuilder" → "hashbuild", "get_target" → "gettarget"). */
function declaredNames(text: string, lang: 'en' | 'de'): Set<string> {
  const out = new Set<string>();
  const add = (name: string | undefined) => {
    const whole = analyze(name ?? '', lang).at(-1);
    if (whole) out.add(whole);
  };
  for (const m of text.matchAll(DECLARATION)) add(m[1]);
  // A typed declaration has no keyword of its own, and prose ("What is attention (QKV)") looks
  // like one, so it is read only in passages that are code.
  if (looksLikeCode(text)) {
    for (const m of text.matchAll(TYPED_DECLARATION)) {
      const before = m[0].slice(0, m[0].lastIndexOf(m[1] ?? '')).trim().split(/\s+/);
      if (!before.some((w) => NOT_A_TYPE.test(w))) add(m[1]);
    }
  }
  return out;
}

/** IDF-weighted share of the query's terms that the document holds. */
function coverage(query: ReadonlySet<string>, doc: ReadonlySet<string>, idf: (t: string) => number): number {
  let hit = 0;
  let all = 0;
  for (const t of query) {
    const w = idf(t);
    all += w;
    if (doc.has(t)) hit += w;
  }
  return all === 0 ? 0 : hit / all;
}

/** Code, not prose: at least three lines, and a fifth of the non-blank ones, end as statements or blocks do. */
function looksLikeCode(text: string): boolean {
  let lines = 0;
  let code = 0;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '') continue;
    lines++;
    if (/[;{}]$/.test(t)) code++;
  }
  return code >= 3 && code * 5 >= lines;
}
