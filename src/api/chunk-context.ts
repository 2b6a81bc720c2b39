/**
 * A passage within its surrounding text: up to `chars` characters each side, widened or
 * narrowed to the nearest word boundary so no word is cut, never splitting a surrogate pair.
 *
 * @example
 * const c = chunkContext(fileText, { start: 5120, end: 5790 }, 600);
 * c.before + c.passage + c.after === fileText.slice(c.start, c.end); // true
 */
export function chunkContext(text: string, span: { start: number; end: number }, chars: number): { start: number; end: number; before: string; passage: string; after: string } {
  const s = clamp(span.start, 0, text.length);
  const e = clamp(span.end, s, text.length);
  let start = Math.max(0, s - chars);
  let end = Math.min(text.length, e + chars);
  if (start > 0) {
    // Begin after the first white space within the window's first 40 characters.
    const cut = text.slice(start, Math.min(s, start + 40)).search(/\s/);
    if (cut >= 0) start += cut + 1;
  }
  if (end < text.length) {
    const tail = text.slice(Math.max(e, end - 40), end);
    const cut = tail.search(/\s\S*$/);
    if (cut >= 0) end = Math.max(e, end - 40) + cut;
  }
  if (start > 0 && isLowSurrogate(text.charCodeAt(start))) start -= 1;
  if (end < text.length && isLowSurrogate(text.charCodeAt(end))) end += 1;
  return { start, end, before: text.slice(start, s), passage: text.slice(s, e), after: text.slice(e, end) };
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
