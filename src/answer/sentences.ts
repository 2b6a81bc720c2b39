import { cleanBlockText, isNoiseBlock } from '../../ingest/clean.js';

/** A sentence of a passage: its exact source span and its cleaned text. */
export interface SourceSentence {
  /** Offsets into the file's text. */
  start: number;
  end: number;
  /** The exact source text: `fileText.slice(start, end)`. */
  quote: string;
  /** Cleaned for display (dashes, bullets, markdown marks). */
  text: string;
  /** Position of the sentence in its passage, from 0. */
  index: number;
}

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/** Lines that are structure, not content: titles, metadata, markers, code labels. */
const STRUCTURE = /^(?:Q\d+[.:)]\s|Category\s+\d+|Difficulty\s*:|(?:Model\s+)?Answer:?$|Follow-?ups?:?$|code$|#{1,6}\s)/i;

/**
 * Splits a passage's source span into sentences with exact offsets: first at lines (list items,
 * table rows), then with the ICU sentence segmenter. Structure lines and fragments too short
 * to stand alone are left out.
 */
export function splitSentences(fileText: string, start: number, end: number, options: { minChars?: number; markdown?: boolean } = {}): SourceSentence[] {
  const minChars = options.minChars ?? 25;
  const out: SourceSentence[] = [];
  const span = fileText.slice(start, end);
  let lineStart = 0;
  for (const line of span.split('\n')) {
    const lineOffset = start + lineStart;
    lineStart += line.length + 1;
    const trimmed = line.trim();
    if (!trimmed || STRUCTURE.test(trimmed) || isNoiseBlock(trimmed)) continue;
    for (const seg of segmenter.segment(line)) {
      const raw = seg.segment;
      const lead = raw.length - raw.trimStart().length;
      const quote = raw.trim().replace(/^(?:[-*+•]|\d+[.)])\s+/, '');
      if (quote.length < minChars) continue;
      const qStart = lineOffset + seg.index + lead + (raw.trim().length - quote.length);
      const text = cleanBlockText(quote, { markdown: options.markdown ?? true });
      if (text.length < minChars) continue;
      out.push({ start: qStart, end: qStart + quote.length, quote, text, index: out.length });
    }
  }
  return out;
}
