import { isStopword } from '../src/lang/analyzer.js';

/**
 * Rule-based rewording of a bank question into the ways a student might type it, for the
 * automatically labelled evaluation set. Deterministic: the same question always gives the
 * same variants. Each variant names the rule that made it, so the report can break the auto
 * set down by rule.
 *
 * @example
 * paraphrases('What is the KV cache and what are its memory implications at scale?')
 * // [{ rule: 'template', text: 'explain the KV cache' }, { rule: 'synonym', text: 'What is the KV cache and what are its memory consequences at scale?' }, …]
 */
export type ParaphraseRule = 'template' | 'synonym' | 'keywords' | 'reorder';

export interface Paraphrase {
  rule: ParaphraseRule;
  text: string;
}

/** Word swaps a student might make; whole words, case-insensitive, first match per entry. */
const SYNONYMS: readonly (readonly [RegExp, string])[] = [
  [/\bdifference between\b/i, 'distinction between'],
  [/\bimplications\b/i, 'consequences'],
  [/\breduce\b/i, 'cut'],
  [/\bimprove\b/i, 'boost'],
  [/\bprevent\b/i, 'avoid'],
  [/\bmitigate\b/i, 'reduce'],
  [/\bdetect\b/i, 'spot'],
  [/\bevaluate\b/i, 'assess'],
  [/\bmeasure\b/i, 'quantify'],
  [/\bchoose\b/i, 'pick'],
  [/\bimplement\b/i, 'build'],
  [/\bdesign\b/i, 'architect'],
  [/\bhandle\b/i, 'deal with'],
  [/\bmodern\b/i, 'current'],
  [/\bproduction\b/i, 'real-world'],
  [/\bmatters\b/i, 'is important'],
  [/\bcritical\b/i, 'essential'],
  [/\bcommon\b/i, 'typical'],
  [/\bapproaches\b/i, 'methods'],
  [/\btrade-offs\b/i, 'pros and cons'],
  [/\bwork\b/i, 'function'],
  [/\bspeed up\b/i, 'accelerate'],
  [/\bLLMs\b/, 'large language models'],
  [/\bLLM\b/, 'large language model'],
  [/\bexplain\b/i, 'walk me through'],
];

/** Splits off a trailing clause such as "and why …", ", and how …", "? Why …". */
function mainClause(q: string): string {
  return q
    .replace(/\?.*$/s, '')
    .replace(/,?\s+(?:and|or)\s+(?:why|how|what|when|which|where|who)\b.*$/i, '')
    .replace(/\.\s.*$/s, '')
    .replace(/[.?!]+$/, '')
    .trim();
}

function lowerFirst(s: string): string {
  const first = s.split(' ')[0] ?? '';
  return /^[A-Z][a-z]+$/.test(first) ? s[0]?.toLowerCase() + s.slice(1) : s;
}

/** Template rewrites of the main clause, keyed on how the question starts. */
function templates(q: string): string[] {
  const c = mainClause(q);
  let m: RegExpMatchArray | null;
  if ((m = c.match(/^what (?:is|are) the differences? between (.+?) and (.+)$/i))) return [`${m[1]} vs ${m[2]}`, `compare ${m[1]} and ${m[2]}`];
  if ((m = c.match(/^compare (.+?),? and (.+)$/i))) return [`${m[1]?.replace(/,\s*/g, ' vs ')} vs ${m[2]}`, `differences between ${m[1]} and ${m[2]}`];
  if ((m = c.match(/^what (?:is|are) (?:a |an |the )?(.+)$/i))) return [`explain ${m[1]}`, `${m[1]} meaning`, `define ${m[1]}`];
  if ((m = c.match(/^how (?:does|do) (.+?) work$/i))) return [`explain how ${m[1]} works`, `${m[1]} mechanism explained`];
  if ((m = c.match(/^how (?:do|would|should|can) (?:you|we|I) (.+)$/i))) return [`best way to ${m[1]}`, `approach to ${m[1]}`, `steps to ${m[1]}`];
  if ((m = c.match(/^how (?:does|do|did) (.+)$/i))) return [`in what way ${m[1]}`, `explain how ${m[1]}`];
  if ((m = c.match(/^why (?:do|does|did|is|are|was|were) (.+)$/i))) return [`reason ${m[1]}`, `explain why ${m[1]}`];
  if ((m = c.match(/^(?:explain|describe) (?:the )?(.+)$/i))) return [`what is ${m[1]}`, `${m[1]} explained`];
  if ((m = c.match(/^walk (?:me )?through (?:the )?(.+)$/i))) return [`explain ${m[1]} step by step`, `${m[1]} overview`];
  if ((m = c.match(/^(?:design|build|implement) (.+)$/i))) return [`how would you design ${m[1]}`, `architecture for ${m[1]}`];
  if ((m = c.match(/^when (?:does|do|should|would) (.+)$/i))) return [`in which cases ${m[1]}`];
  return [];
}

const QUESTION_WORDS = new Set(['what', 'why', 'how', 'when', 'which', 'where', 'who', 'does', 'do', 'did', 'is', 'are', 'explain', 'describe', 'would', 'you', 'your', 'can', 'should']);

/** The question's content words in order: stopwords and question words dropped. */
export function contentWords(q: string): string[] {
  return (q.match(/[\p{L}\p{N}][\p{L}\p{N}'’\-/.]*[\p{L}\p{N}]|[\p{L}\p{N}]/gu) ?? []).filter((w) => !QUESTION_WORDS.has(w.toLowerCase()) && !isStopword(w.toLowerCase(), 'en'));
}

/** A small stable hash, to pick among variants without randomness. */
export function stableHash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Every rule-based variant of a question that differs from it, at most one per rule. */
export function paraphrases(question: string): Paraphrase[] {
  const q = question.replace(/^Q\d+[.:)]\s*/i, '').trim();
  const out: Paraphrase[] = [];
  const seen = new Set([q.toLowerCase()]);
  const add = (rule: ParaphraseRule, text: string | undefined) => {
    const t = text?.replace(/\s+/g, ' ').trim();
    if (!t || t.split(' ').length < 2 || seen.has(t.toLowerCase())) return;
    seen.add(t.toLowerCase());
    out.push({ rule, text: t });
  };
  const h = stableHash(q);
  const t = templates(q);
  add('template', t.length > 0 ? lowerFirst(t[h % t.length] ?? '') : undefined);
  let swapped = q;
  let swaps = 0;
  for (const [from, to] of SYNONYMS) {
    if (swaps >= 2) break;
    if (from.test(swapped)) {
      swapped = swapped.replace(from, to);
      swaps++;
    }
  }
  if (swaps > 0) add('synonym', swapped);
  const words = contentWords(mainClause(q));
  add('keywords', words.join(' ').toLowerCase());
  if (words.length >= 3) {
    const cut = Math.max(1, Math.floor(words.length / 2));
    add('reorder', [...words.slice(cut), ...words.slice(0, cut)].join(' ').toLowerCase());
  }
  return out;
}
