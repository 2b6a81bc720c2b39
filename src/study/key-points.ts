import { cleanBlockText, isNoiseBlock } from '../../ingest/clean.js';

/**
 * A point a good answer should make: one list item or one sentence of the bank's model answer,
 * quoted exactly (`fileText.slice(start, end) === quote`).
 */
export interface KeyPointSource {
  /** Position among the answer's key points, from 0. */
  index: number;
  /** The chunk the point is quoted from (GET /v1/chunks/{id} shows it in context). */
  chunkId: string;
  start: number;
  end: number;
  quote: string;
  /** Cleaned text for display and matching. */
  text: string;
  /** The point's sentences (a list item may hold several), each matched on its own as well. */
  sentences: string[];
}

/** A passage of a model answer: a chunk's id and source span. */
export interface AnswerSpan {
  chunkId: string;
  start: number;
  end: number;
}

/** List marker at the start of a line: `- `, `• `, `1. `, `2) `. */
const ITEM = /^(?:[-*+•]|\d{1,3}[.)])[ \t]+/;

/** Lines that are structure, not content: question titles, metadata, markers, code labels. */
const STRUCTURE = /^(?:Q\d+[.:)]\s|Category\s+\d+|Difficulty\s*:|(?:Model\s+)?Answer:?$|Follow-?ups?:?$|code$|#{1,6}\s)/i;

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

interface Line {
  start: number;
  end: number;
  text: string;
  item: boolean;
}

/**
 * The key points of a model answer: each list item is one point (its sentences together), each
 * sentence of a paragraph is one point. Left out: structure lines (titles, "Difficulty:",
 * "Answer"), rows of tables, short lead-ins that end in ":", questions, formulas, fragments of fewer than
 * five words, and the bank's follow-up questions.
 *
 * Lines and sentences are cut here rather than with `answer/sentences.ts`, which quotes a lead-in
 * and its whole list as one unit (right for a citation); a student who names two of four
 * mitigations should be credited for those two.
 *
 * @example
 * const points = keyPoints(fileText, [{ chunkId: c.id, start: c.start, end: c.end }], c.followUps ?? []);
 * fileText.slice(points[0].start, points[0].end) === points[0].quote // always
 */
export function keyPoints(fileText: string, spans: readonly AnswerSpan[], followUps: readonly string[] = []): KeyPointSource[] {
  const skip = new Set(followUps.map(normalise));
  const out: KeyPointSource[] = [];
  const add = (chunkId: string, start: number, end: number, sentences: string[]) => {
    const quote = fileText.slice(start, end);
    const text = clean(quote);
    if (!isKeyPoint(text) || skip.has(normalise(text))) return;
    const parts = sentences.filter(isKeyPoint);
    out.push({ index: out.length, chunkId, start, end, quote, text, sentences: parts.length > 0 ? parts : [text] });
  };
  for (const span of spans) {
    for (const block of blocks(fileText, span.start, span.end)) {
      if (looksLikeTable(block)) continue;
      for (const line of block) {
        if (STRUCTURE.test(line.text) || isNoiseBlock(line.text)) continue;
        if (line.item) {
          const marker = ITEM.exec(line.text)?.[0].length ?? 0;
          const body = line.text.slice(marker);
          add(span.chunkId, line.start + marker, line.end, sentencesOf(body).map((s) => clean(s.text)));
          continue;
        }
        for (const s of sentencesOf(line.text)) add(span.chunkId, line.start + s.offset, line.start + s.offset + s.text.length, [clean(s.text)]);
      }
    }
  }
  return out;
}

/** Whether a sentence states something worth checking (not a short lead-in, a question, a formula or a fragment). */
export function isKeyPoint(text: string): boolean {
  const t = text.trim();
  const words = t.split(/\s+/);
  if (words.length < 5 || t.endsWith('?')) return false;
  // "Mitigations:" and "Decoder-only models dominate for three key reasons:" introduce; a statement
  // that ends in a colon before its formula ("RMSNorm … normalizes by the root mean square only:") states.
  if (t.endsWith(':') && words.length < 10) return false;
  // A formula ("score(Q, K) = softmax(QK^T / sqrt(d_k)) * V") has few plain words.
  return words.filter((w) => /^\p{L}{3,}[,.;:!]?$/u.test(w)).length >= 4;
}

/** Non-empty lines of a span, trimmed, with offsets, grouped into blocks at blank lines. */
function blocks(fileText: string, start: number, end: number): Line[][] {
  const out: Line[][] = [[]];
  let pos = start;
  for (const raw of fileText.slice(start, end).split('\n')) {
    const lead = raw.length - raw.trimStart().length;
    const text = raw.trim();
    if (text) out.at(-1)?.push({ start: pos + lead, end: pos + lead + text.length, text, item: ITEM.test(text) });
    else if (out.at(-1)?.length) out.push([]);
    pos += raw.length + 1;
  }
  return out.filter((b) => b.length > 0);
}

/** Three or more short lines, none a list item, none ending like a sentence: a scraped table (as ingest decides). */
function looksLikeTable(block: readonly Line[]): boolean {
  return block.length >= 3 && block.every((l) => !l.item && l.text.length < 260 && !/[.:!?,({[=]$/.test(l.text) && !/^=|\s=\s|->|^[#|]/.test(l.text));
}

/** ICU sentences of a line, trimmed, with their offsets in it. */
function sentencesOf(line: string): { offset: number; text: string }[] {
  const out: { offset: number; text: string }[] = [];
  for (const seg of segmenter.segment(line)) {
    const text = seg.segment.trim();
    if (text) out.push({ offset: seg.index + (seg.segment.length - seg.segment.trimStart().length), text });
  }
  return out;
}

function clean(quote: string): string {
  return cleanBlockText(quote, { markdown: true }).replace(/\s+/g, ' ');
}

function normalise(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}
