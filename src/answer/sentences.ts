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

const BULLET = /^(?:[-*+•]|\d+[.)])\s+/;

/**
 * Splits a passage's source span into sentences with exact offsets: first at lines (list items,
 * table rows), then with the ICU sentence segmenter. A short lead-in ending in a colon and the
 * list items under it ("LoRA (Low-Rank Adaptation):" + "• Freezes all original weights" …)
 * form one unit, quoted as the exact multi-line span and shown as "Lead-in: item; item".
 * Structure lines and fragments too short to stand alone are left out.
 */
export function splitSentences(fileText: string, start: number, end: number, options: { minChars?: number; markdown?: boolean; maxListItems?: number } = {}): SourceSentence[] {
  const minChars = options.minChars ?? 25;
  const markdown = options.markdown ?? true;
  const maxItems = options.maxListItems ?? 6;
  const out: SourceSentence[] = [];
  const lines: { text: string; start: number; end: number }[] = [];
  let pos = start;
  for (const line of fileText.slice(start, end).split('\n')) {
    const lead = line.length - line.trimStart().length;
    const trimmed = line.trim();
    if (trimmed && !STRUCTURE.test(trimmed) && !isNoiseBlock(trimmed)) lines.push({ text: trimmed, start: pos + lead, end: pos + lead + trimmed.length });
    pos += line.length + 1;
  }
  const push = (qStart: number, quote: string, text: string) => {
    if (text.length >= minChars) out.push({ start: qStart, end: qStart + quote.length, quote, text, index: out.length });
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as { text: string; start: number; end: number };
    // A lead-in and its list: one unit.
    if (line.text.endsWith(':') && line.text.length <= 100 && BULLET.test(lines[i + 1]?.text ?? '')) {
      const items: { text: string; start: number; end: number }[] = [];
      for (let j = i + 1; j < lines.length && items.length < maxItems && BULLET.test(lines[j]?.text ?? ''); j++) items.push(lines[j] as { text: string; start: number; end: number });
      const last = items.at(-1) as { end: number };
      const quote = fileText.slice(line.start, last.end);
      const shown = `${cleanBlockText(line.text, { markdown })} ${items.map((it) => cleanBlockText(it.text.replace(BULLET, ''), { markdown }).replace(/[.;]$/, '')).join('; ')}.`;
      push(line.start, quote, shown);
      i += items.length;
      continue;
    }
    for (const seg of segmenter.segment(line.text)) {
      const raw = seg.segment;
      const lead = raw.length - raw.trimStart().length;
      const quote = raw.trim().replace(BULLET, '');
      if (quote.length < minChars) continue;
      const qStart = line.start + seg.index + lead + (raw.trim().length - quote.length);
      push(qStart, quote, cleanBlockText(quote, { markdown }));
    }
  }
  return out;
}
