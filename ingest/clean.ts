/**
 * Cleaning of scrape artifacts. Every function here maps text to text and never drops a
 * sentence of content: whole blocks are dropped only by `isNoiseBlock`, which recognises
 * navigation, captions and promotion, never answer text.
 */

/** LaTeX dash escapes left by a web-page scrape: `\text{---}` is an em dash. */
export function replaceLatexDashes(text: string): string {
  return text.replace(/\\text\{---\}/g, '—').replace(/\\text\{--\}/g, '–');
}

/** `[^id]` footnote references: kept in metadata, not in the passage text. */
export function stripFootnoteRefs(text: string): string {
  return text.replace(/\s*\[\^[^\]\s]+\]/g, '');
}

/** Markdown emphasis and heading marks, which the reader and the embedder need not see. */
export function stripMarkdownMarks(text: string): string {
  return text
    .replace(/^#{1,6}\s+/gm, '')
    .replace(/(\*\*|__)(?=\S)([^]*?\S)\1/g, '$2')
    .replace(/`([^`\n]+)`/g, '$1')
    .replace(/\[([^\]\n]+)\]\((?:[^)\s]+)\)/g, '$1');
}

/** Trims lines, folds runs of blanks inside lines, and keeps at most one empty line in a row. */
export function normalizeWhitespace(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/[ \t\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The whole cleaning of one block's source text. */
export function cleanBlockText(text: string, options: { markdown: boolean }): string {
  let out = replaceLatexDashes(text);
  out = stripFootnoteRefs(out);
  if (options.markdown) out = stripMarkdownMarks(out);
  return normalizeWhitespace(out);
}

const NAVIGATION = [
  /^skip to (main )?content$/i,
  /^(back to top|table of contents|menu|search|share|print)$/i,
  /^©/,
  /all rights reserved\.?$/i,
  /^\d+\s*min(ute)?s?( read)?$/i,
  /^reading time:/i,
];

const PROMOTION = [
  /\bno credit card\b/i,
  /^see all\b/i,
  /^explore all\b/i,
  /^practice with real\b/i,
  /\bfree career roadmaps?\b/i,
  /^\d+\s+(free\s+)?(sql|python|sql & python)\b.*\bproblems\b/i,
  /\bstep-by-step roadmaps\b/i,
  /^(subscribe|sign up|join)\b.*\b(newsletter|free|now)\b/i,
];

/**
 * Whether a whole block is a scrape artifact: site navigation, an image caption left over
 * from a collapsible figure ("…Click to expand…"), a lone code-block label, or promotion.
 */
export function isNoiseBlock(text: string): boolean {
  const t = text.trim();
  if (t.length === 0) return true;
  if (/click to expand/i.test(t) && t.length < 400) return true;
  if (/^code$/i.test(t)) return true;
  // A byline run of very short lines ("DS / LDS Team / Let's Data Science / 39 min").
  const lines = t.split('\n');
  if (lines.length >= 3 && t.length <= 80 && lines.every((l) => l.trim().split(/\s+/).length <= 3)) return true;
  if (t.length > 200) return false;
  return NAVIGATION.some((re) => re.test(t)) || PROMOTION.some((re) => re.test(t));
}

/**
 * Recovers a table whose cells a scrape ran together ("MethodKV HeadsTrade-off").
 * Cells are split where a lower-case letter, digit or `)` meets an upper-case letter
 * that starts a word; the result is kept only when every row then has the same number of
 * cells as the header (or one more, for an empty corner cell). Otherwise `undefined`:
 * the rows stay as they were.
 */
export function recoverRunTogetherTable(lines: readonly string[]): string[][] | undefined {
  if (lines.length < 2) return undefined;
  // A header's cells are short titles, so any lower→upper step is a boundary ("Pre-trainingSFT").
  const header = lines[0]?.trim().split(/(?<=[a-z0-9)%])(?=[A-Z])/);
  const rows = [header ?? [], ...lines.slice(1).map((line) => line.trim().split(/(?<=[a-z0-9)%])(?=[A-Z][a-z(])/))];
  if (!header || header.length < 2) return undefined;
  const width = rows[1]?.length ?? 0;
  if (width < 2) return undefined;
  if (!rows.slice(1).every((r) => r.length === width)) return undefined;
  if (header.length === width) return rows;
  if (header.length === width - 1) return [['', ...header], ...rows.slice(1)];
  return undefined;
}

/** Renders recovered rows as "Header: cell; Header: cell" lines, readable and embeddable. */
export function renderTable(rows: readonly (readonly string[])[]): string {
  const [header, ...body] = rows;
  if (!header) return '';
  return body
    .map((row) =>
      row
        .map((cell, i) => {
          const h = header[i]?.trim();
          return h ? `${h}: ${cell.trim()}` : cell.trim();
        })
        .join('; '),
    )
    .join('\n');
}
