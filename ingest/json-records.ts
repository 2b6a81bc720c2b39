import { createHash } from 'node:crypto';
import { type Node, parseTree, type ParseError, printParseErrorCode } from 'jsonc-parser';
import type { Chunk } from '../src/ports/chunk.js';

/** Which keys of a JSON record hold the id, title, text and URL, and (optionally) its section path. */
export interface JsonFieldMap {
  id: string;
  title: string;
  text: string;
  url: string;
  /**
   * Key of a record's place in its document: a string, or a list of strings from the outside in
   * (`["class ColumnTuple : public Column", "void Append(ColumnRef column)"]` for a piece of code).
   * Without one, a record with a URL is placed in the page its URL names.
   */
  section?: string;
}

/** Thrown when a JSON chunk file is malformed; the message says where and what. */
export class JsonRecordsError extends Error {}

/**
 * Reads a JSON chunk file: an array of records such as `{id, title?, text, url?, section?}` (or,
 * with a field map, `{chunk_link, chunk_heading, text}`). Offsets point at each record's text
 * value inside the JSON source, so `source.slice(start, end)` is the (JSON-escaped) passage.
 *
 * A record cut from a longer document rarely says what it belongs to: a section heading without
 * its page ("FAQ", "Examples"), a method without its class. Its section path — given, or else
 * the page its URL names — is a contextual header: embedded and indexed with the text (see
 * `termsOf`), shown as the result's section, never part of the cited text.
 */
export function chunksFromJson(file: string, source: string, fields: JsonFieldMap, lang: (text: string) => string, maxChars = Number.POSITIVE_INFINITY): Chunk[] {
  // jsonc-parser recurses once per level: thousands of levels overflow the stack.
  if (nestingDepth(source, MAX_DEPTH) > MAX_DEPTH) throw new JsonRecordsError(`it nests arrays or objects more than ${MAX_DEPTH} levels deep; a JSON chunk file is an array of flat records`);
  const errors: ParseError[] = [];
  const tree = parseTree(source, errors, { allowTrailingComma: false, disallowComments: true });
  const firstError = errors[0];
  if (firstError || !tree) {
    const where = firstError ? ` at offset ${firstError.offset}: ${printParseErrorCode(firstError.error)}` : '';
    throw new JsonRecordsError(`not valid JSON${where}`);
  }
  if (tree.type !== 'array') throw new JsonRecordsError('a JSON chunk file must hold an array of records');
  const chunks: Chunk[] = [];
  const ids = new Set<string>();
  (tree.children ?? []).forEach((record, i) => {
    if (record.type !== 'object') throw new JsonRecordsError(`record ${i} is not an object`);
    const textNode = property(record, fields.text);
    if (!textNode || textNode.type !== 'string' || typeof textNode.value !== 'string' || textNode.value.trim() === '') {
      throw new JsonRecordsError(`record ${i} has no non-empty string field "${fields.text}"`);
    }
    const text = textNode.value;
    const title = stringValue(property(record, fields.title));
    const url = stringValue(property(record, fields.url));
    const sourceId = stringValue(property(record, fields.id)) ?? url;
    const given = fields.section ? sectionPath(property(record, fields.section)) : [];
    const page = given.length === 0 && url ? pageName(url) : undefined;
    const section = page ? [page] : given;
    const header = [section.join(' › '), title].filter((x) => x).join('\n');
    let id = sourceId ? `${file}#${sourceId}` : createHash('sha256').update(`${file}\u0000${text}`).digest('hex').slice(0, 16);
    if (ids.has(id)) id = `${id}~${i}`;
    ids.add(id);
    // A long record is split like a long answer (the embedder reads only its first ~256 word
    // pieces); every part keeps the record's title and id, so search folds them into one result.
    const rawStart = textNode.offset + 1;
    const rawEnd = textNode.offset + textNode.length - 1;
    const pieces = text.trim().length > maxChars ? splitText(text, maxChars) : [{ from: 0, to: text.length }];
    const toRaw = pieces.length > 1 ? rawOffsets(source.slice(rawStart, rawEnd)) : undefined;
    pieces.forEach((piece, index) => {
      const part = text.slice(piece.from, piece.to).trim();
      const chunk: Chunk = {
        id: pieces.length > 1 ? `${id}~p${index}` : id,
        file,
        start: toRaw ? rawStart + (toRaw[piece.from] ?? 0) : rawStart,
        end: toRaw ? rawStart + (toRaw[piece.to] ?? rawEnd - rawStart) : rawEnd,
        text: part,
        embedText: header ? `${header}\n${part}` : part,
        section,
        lang: lang(text),
        kind: 'record',
        footnotes: url ? [{ id: sourceId ?? url, url }] : [],
      };
      if (title) chunk.title = title;
      if (pieces.length > 1) chunk.part = { index, count: pieces.length };
      chunks.push(chunk);
    });
  });
  return chunks;
}

/** Deepest nesting of a JSON chunk file read; records are flat, so this is generous. */
const MAX_DEPTH = 64;

/** How deep `[` and `{` nest outside strings, counting no further than `limit + 1`. */
function nestingDepth(source: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max && (max = depth) > limit) return max;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

function property(object: Node, key: string): Node | undefined {
  for (const p of object.children ?? []) {
    const [k, v] = p.children ?? [];
    if (k?.value === key) return v;
  }
  return undefined;
}

/** A section path: one string, or an array of strings (other values are left out). */
function sectionPath(node: Node | undefined): string[] {
  const values = node?.type === 'array' ? (node.children ?? []).map(stringValue) : [stringValue(node)];
  return values.map((v) => v?.trim().replace(/\s+/g, ' ')).filter((v): v is string => v !== undefined && v !== '');
}

/**
 * The page a URL names, in words: its last path segment without extension
 * ("https://docs.example.com/en/docs/build-with-claude/prompt-caching#pricing" → "prompt caching").
 * `undefined` for a URL whose last segment is not a name (an id, a number, an index page).
 */
export function pageName(url: string): string | undefined {
  let last: string | undefined;
  try {
    last = decodeURIComponent(new URL(url).pathname.split('/').filter((s) => s !== '').at(-1) ?? '');
  } catch {
    return undefined;
  }
  const name = last
    .replace(/\.(?:html?|php|aspx?|md|mdx)$/i, '')
    .replace(/[-_+.]+/g, ' ')
    .trim();
  // A name has a word of three letters or more and no long run of digits or hex (an id).
  return /\p{L}{3}/u.test(name) && !/\b[0-9a-f]{12,}\b|\d{5,}/i.test(name) && !/^index$/i.test(name) ? name : undefined;
}

function stringValue(node: Node | undefined): string | undefined {
  return node && (node.type === 'string' || node.type === 'number') && String(node.value).trim() !== '' ? String(node.value) : undefined;
}

/** Cuts text into pieces of at most `max` characters at paragraph, then line, then sentence boundaries. */
function splitText(text: string, max: number): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  let from = 0;
  while (text.length - from > max) {
    const window = text.slice(from, from + max);
    const cut = lastBoundary(window, /\n\s*\n/g) ?? lastBoundary(window, /\n/g) ?? lastBoundary(window, /[.!?]\s+/g) ?? lastBoundary(window, /\s+/g) ?? max;
    out.push({ from, to: from + cut });
    from += cut;
  }
  if (text.slice(from).trim()) out.push({ from, to: text.length });
  return out;
}

/** The end of the last match in the second half of the window, so pieces are not tiny. */
function lastBoundary(window: string, re: RegExp): number | undefined {
  let best: number | undefined;
  for (const m of window.matchAll(re)) {
    const end = (m.index ?? 0) + m[0].length;
    if (end >= window.length / 2 && end < window.length) best = end;
  }
  return best;
}

/**
 * For the raw contents of a JSON string literal, the raw offset of each decoded character
 * (and one past the end), so a piece of the decoded text maps back to its exact source span.
 */
function rawOffsets(raw: string): number[] {
  const map: number[] = [];
  for (let i = 0; i < raw.length; ) {
    map.push(i);
    if (raw[i] !== '\\') {
      const code = raw.codePointAt(i) ?? 0;
      const width = code > 0xffff ? 2 : 1;
      if (width === 2) map.push(i + 1);
      i += width;
    } else if (raw[i + 1] === 'u') i += 6;
    else i += 2;
  }
  map.push(raw.length);
  return map;
}
