import type { Chunk, ChunkKind, Footnote, StoredChunk } from '../../ports/chunk.js';
import { documentLength, termFrequencies, termKey } from './bm25-weights.js';

/**
 * A chunk is two Qdrant points: the *search point* (`pointId('chunk', id)`), which holds the
 * vectors and only what searches read — the id, the filter fields and the BM25 fields — and the
 * *body point* (`pointId('body', id)`, no vectors), which holds the chunk itself and its vector.
 * Qdrant parses a point's whole payload for every point a search returns, even to return only
 * `id`: with the text on the search point, that parse was most of the cost of a vector search's
 * top 50 (see `bench/stores.ts`).
 *
 * Search point:
 *
 * | field           | for                                                                 |
 * |-----------------|---------------------------------------------------------------------|
 * | `doc`           | `'chunk'`: tells search points from body, file, term and stats points |
 * | `id`, `file`    | the chunk's id and file                                             |
 * | `ord`           | position in the file's upsert                                       |
 * | `lang`          | the chunk's language, for the language filter                       |
 * | `section_lc`    | lower-cased section path, for the case-insensitive substring filter |
 * | `difficulty_lc` | lower-cased difficulty, for the case-insensitive difficulty filter  |
 * | `len`           | number of non-empty terms (BM25 document length)                    |
 * | `avgdl`         | the average document length its sparse weights were computed with   |
 * | `tf`            | term frequencies, `"<termKey>:<count> …"`, for exact rescoring       |
 *
 * `tf` is one string rather than an object keyed by term: an object of ~50 keys cost Qdrant
 * more to parse than all the rest of a chunk's payload.
 *
 * Body point: `doc: 'body'`, `ord`, the chunk's own fields under their names (absent optional
 * fields stay absent; only `CHUNK_FIELDS` are read back), and `vec`, the chunk's vector as it was
 * given — float32 bytes, base64 — because vectors read back as JSON numbers (~4.6 kB each for 384
 * dimensions) cost Node more to parse than their base64 (2 kB).
 *
 * @example
 * payloadToChunk(bodyPayload(stored, 0)); // deep-equals stored without `terms` / `vector`
 */
export interface ChunkPayload extends Record<string, unknown> {
  doc: 'chunk';
  id: string;
  file: string;
  ord: number;
  lang: string;
  section_lc: string[];
  len: number;
  avgdl: number;
  tf: string;
}

export interface BodyPayload extends Record<string, unknown> {
  doc: 'body';
  id: string;
  file: string;
  ord: number;
  vec: string;
}

/** The payload keys a `Chunk` is read back from (absent ones are simply not returned). */
export const CHUNK_FIELDS = [
  'id', 'file', 'start', 'end', 'text', 'embedText', 'title', 'section', 'questionNumber', 'difficulty', 'roles', 'lang', 'kind', 'footnotes', 'followUps', 'part',
] as const;

/** The payload of a chunk's search point. */
export function chunkPayload(chunk: StoredChunk, ord: number, avgdl: number): ChunkPayload {
  const p: ChunkPayload = {
    doc: 'chunk',
    id: chunk.id,
    file: chunk.file,
    ord,
    lang: chunk.lang,
    section_lc: chunk.section.map((s) => s.toLowerCase()),
    len: documentLength(chunk.terms),
    avgdl,
    tf: encodeTermFrequencies(termFrequencies(chunk.terms)),
  };
  if (chunk.difficulty !== undefined) p['difficulty_lc'] = chunk.difficulty.toLowerCase();
  return p;
}

/** The payload of a chunk's body point. */
export function bodyPayload(chunk: StoredChunk, ord: number): BodyPayload {
  const p: BodyPayload = {
    doc: 'body',
    id: chunk.id,
    file: chunk.file,
    ord,
    start: chunk.start,
    end: chunk.end,
    text: chunk.text,
    embedText: chunk.embedText,
    section: chunk.section,
    lang: chunk.lang,
    kind: chunk.kind,
    footnotes: chunk.footnotes,
    vec: encodeVector(chunk.vector),
  };
  if (chunk.title !== undefined) p['title'] = chunk.title;
  if (chunk.questionNumber !== undefined) p['questionNumber'] = chunk.questionNumber;
  if (chunk.difficulty !== undefined) p['difficulty'] = chunk.difficulty;
  if (chunk.roles !== undefined) p['roles'] = chunk.roles;
  if (chunk.followUps !== undefined) p['followUps'] = chunk.followUps;
  if (chunk.part !== undefined) p['part'] = { index: chunk.part.index, count: chunk.part.count };
  return p;
}

export function payloadToChunk(p: Record<string, unknown>): Chunk {
  const chunk: Chunk = {
    id: p['id'] as string,
    file: p['file'] as string,
    start: p['start'] as number,
    end: p['end'] as number,
    text: p['text'] as string,
    embedText: p['embedText'] as string,
    section: p['section'] as string[],
    lang: p['lang'] as string,
    kind: p['kind'] as ChunkKind,
    footnotes: p['footnotes'] as Footnote[],
  };
  if (p['title'] !== undefined) chunk.title = p['title'] as string;
  if (p['questionNumber'] !== undefined) chunk.questionNumber = p['questionNumber'] as number;
  if (p['difficulty'] !== undefined) chunk.difficulty = p['difficulty'] as string;
  if (p['roles'] !== undefined) chunk.roles = p['roles'] as string[];
  if (p['followUps'] !== undefined) chunk.followUps = p['followUps'] as string[];
  if (p['part'] !== undefined) chunk.part = p['part'] as { index: number; count: number };
  return chunk;
}

/**
 * Term frequencies as the `tf` payload string: `termKey(term):count`, separated by single
 * spaces. Term keys are `t` and hex digits, so neither separator can occur inside one.
 *
 * @example
 * encodeTermFrequencies(new Map([['gqa', 2]])); // 't677161:2'
 */
export function encodeTermFrequencies(tf: ReadonlyMap<string, number>): string {
  return [...tf].map(([term, f]) => `${termKey(term)}:${f}`).join(' ');
}

/** The `[termKey, count]` pairs of a `tf` payload string. */
export function termFrequencyEntries(tf: string): [string, number][] {
  if (tf === '') return [];
  return tf.split(' ').map((entry) => {
    const colon = entry.indexOf(':');
    return [entry.slice(0, colon), Number(entry.slice(colon + 1))];
  });
}

/** How often the term with payload key `key` occurs according to a `tf` payload string; 0 when it does not. */
export function termFrequencyOf(tf: string, key: string): number {
  const needle = `${key}:`;
  let from: number;
  if (tf.startsWith(needle)) from = needle.length;
  else {
    const at = tf.indexOf(` ${needle}`);
    if (at < 0) return 0;
    from = at + 1 + needle.length;
  }
  const end = tf.indexOf(' ', from);
  return Number(tf.slice(from, end < 0 ? undefined : end));
}

/** A vector as the `vec` payload string: its float32 bytes (platform order, little-endian on every supported platform), base64. */
export function encodeVector(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

export function decodeVector(vec: string): Float32Array {
  const bytes = Buffer.from(vec, 'base64');
  // A copy: the decoded buffer may be a slice of Node's shared pool, not aligned for float32.
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}
