import { createHash } from 'node:crypto';
import { type Node, parseTree, type ParseError, printParseErrorCode } from 'jsonc-parser';
import type { Chunk } from '../src/ports/chunk.js';

/** Which keys of a JSON record hold the id, title, text and URL. */
export interface JsonFieldMap {
  id: string;
  title: string;
  text: string;
  url: string;
}

/** Thrown when a JSON chunk file is malformed; the message says where and what. */
export class JsonRecordsError extends Error {}

/**
 * Reads a JSON chunk file: an array of records such as `{id, title?, text, url?}` (or, with a
 * field map, `{chunk_link, chunk_heading, text}`). Offsets point at each record's text value
 * inside the JSON source, so `source.slice(start, end)` is the (JSON-escaped) passage.
 */
export function chunksFromJson(file: string, source: string, fields: JsonFieldMap, lang: (text: string) => string): Chunk[] {
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
    let id = sourceId ? `${file}#${sourceId}` : createHash('sha256').update(`${file}\u0000${text}`).digest('hex').slice(0, 16);
    if (ids.has(id)) id = `${id}~${i}`;
    ids.add(id);
    const chunk: Chunk = {
      id,
      file,
      start: textNode.offset + 1,
      end: textNode.offset + textNode.length - 1,
      text: text.trim(),
      embedText: title ? `${title}\n${text.trim()}` : text.trim(),
      section: [],
      lang: lang(text),
      kind: 'record',
      footnotes: url ? [{ id: sourceId ?? url, url }] : [],
    };
    if (title) chunk.title = title;
    chunks.push(chunk);
  });
  return chunks;
}

function property(object: Node, key: string): Node | undefined {
  for (const p of object.children ?? []) {
    const [k, v] = p.children ?? [];
    if (k?.value === key) return v;
  }
  return undefined;
}

function stringValue(node: Node | undefined): string | undefined {
  return node && (node.type === 'string' || node.type === 'number') && String(node.value).trim() !== '' ? String(node.value) : undefined;
}
