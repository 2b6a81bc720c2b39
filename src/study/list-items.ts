import { cleanBlockText } from '../../ingest/clean.js';

/** A list item of the bank that asks a question, with its exact source span. */
export interface ListItemQuestion {
  /** Offsets into the file's text; `fileText.slice(start, end) === quote`. */
  start: number;
  end: number;
  /** The item as written, without its list marker. */
  quote: string;
  /** The question for display: cleaned, without footnote marks, quotes or a trailing remark. */
  text: string;
}

/** `- `, `* `, `+ `, `• `, `1. `, `1) ` at the start of a line. */
const ITEM = /^([ \t]*(?:[-*+•]|\d{1,3}[.)])[ \t]+)(\S.*?)\s*$/;

/** Words that open an interview question or task, English and German (lower case). */
const OPENERS = new Set([
  // English: questions and the imperatives interviewers use.
  'how', 'what', 'what’s', "what's", 'why', 'when', 'where', 'which', 'who', 'can', 'could', 'would', 'should', 'do', 'does', 'did', 'is', 'are', 'have', 'has',
  'explain', 'describe', 'design', 'compare', 'implement', 'build', 'create', 'write', 'derive', 'walk', 'tell', 'discuss', 'estimate', 'debug', 'define', 'outline', 'sketch', 'contrast', 'propose', 'architect',
  // German.
  'wie', 'was', 'warum', 'wann', 'wo', 'welche', 'welcher', 'welches', 'wer', 'kannst', 'würdest', 'hast', 'ist', 'sind',
  'erkläre', 'beschreibe', 'entwirf', 'entwerfe', 'vergleiche', 'implementiere', 'baue', 'schreibe', 'leite', 'gehe', 'erzähle', 'nenne', 'definiere', 'skizziere', 'diskutiere', 'schätze',
]);

/** A list counts as a list of questions when at least this share of its items reads as one. */
const QUESTION_LIST_SHARE = 0.6;

/**
 * Whether an item reads as an interview question: it ends with a question mark, or opens with
 * a question word or an interviewer's imperative ("Explain …", "Entwirf …").
 *
 * @example
 * looksLikeQuestion('Explain ReAct, Reflexion, ReWOO.') // true
 * looksLikeQuestion('Read all 52 questions')             // false
 */
export function looksLikeQuestion(text: string): boolean {
  const t = text.trim();
  if (t.length < 8) return false;
  if (/\?["'”’)]*$/.test(t)) return true;
  const first = t.replace(/^["'“‘(]+/, '').split(/[\s,:]+/, 1)[0]?.toLowerCase() ?? '';
  return OPENERS.has(first);
}

/** The display text of an item: cleaned, unquoted, without a remark in brackets after its last sentence. */
export function questionText(quote: string): string {
  let t = cleanBlockText(quote, { markdown: true }).replace(/\s+/g, ' ').trim();
  // "How do you evaluate a chatbot?" (not just build one)  →  How do you evaluate a chatbot?
  for (let i = 0; i < 3; i++) {
    const next = t.replace(/([?.!"”])\s*\([^()]*\)$/, '$1').trim();
    if (next === t) break;
    t = next;
  }
  const quoted = /^["“]([^"“”]+)["”]$/.exec(t);
  return quoted?.[1]?.trim() ?? t;
}

/**
 * The questions of a list passage: each item line of `fileText.slice(start, end)` that reads as
 * a question, with exact offsets. A list whose items mostly do not read as questions (a study
 * plan, a checklist) gives none, so its one question-like line is not taken for a question.
 *
 * @example
 * const items = listItemQuestions(text, chunk.start, chunk.end);
 * text.slice(items[0].start, items[0].end) === items[0].quote // always
 */
export function listItemQuestions(fileText: string, start: number, end: number): ListItemQuestion[] {
  const items: (ListItemQuestion & { question: boolean })[] = [];
  let offset = start;
  for (const line of fileText.slice(start, end).split('\n')) {
    const lineStart = offset;
    offset += line.length + 1;
    const m = ITEM.exec(line);
    if (!m || m[1] === undefined || m[2] === undefined) continue;
    const itemStart = lineStart + m[1].length;
    const quote = m[2];
    const text = questionText(quote);
    items.push({ start: itemStart, end: itemStart + quote.length, quote, text, question: looksLikeQuestion(text) });
  }
  const questions = items.filter((i) => i.question);
  if (items.length === 0 || questions.length / items.length < QUESTION_LIST_SHARE) return [];
  return questions.map(({ start: s, end: e, quote, text }) => ({ start: s, end: e, quote, text }));
}
