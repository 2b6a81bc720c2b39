import type { Chunk, ChunkKind, Footnote, StoredChunk } from '../../ports/chunk.js';
import { documentLength, termFrequencies, termKey } from './bm25-weights.js';

/**
 * A chunk as a Qdrant payload: the chunk's own fields under their names (absent optional fields
 * stay absent), plus fields the store adds for filters and BM25. Only `CHUNK_FIELDS` are read
 * back, so the added fields never leak into a `Chunk`.
 *
 * | field           | for                                                                 |
 * |-----------------|---------------------------------------------------------------------|
 * | `doc`           | `'chunk'`: tells chunk points from file, term and stats points      |
 * | `ord`           | position in the file's upsert, to keep document order on ties       |
 * | `section_lc`    | lower-cased section path, for the case-insensitive substring filter |
 * | `difficulty_lc` | lower-cased difficulty, for the case-insensitive difficulty filter  |
 * | `len`           | number of non-empty terms (BM25 document length)                    |
 * | `avgdl`         | the average document length its sparse weights were computed with   |
 * | `tf`            | term frequencies keyed by `termKey(term)`, for exact rescoring       |
 *
 * @example
 * payloadToChunk(chunkPayload(stored, 0, 41.5)); // deep-equals stored without `terms` / `vector`
 */
export interface ChunkPayload extends Record<string, unknown> {
  doc: 'chunk';
  id: string;
  file: string;
  ord: number;
  len: number;
  avgdl: number;
  tf: Record<string, number>;
}

/** The payload keys a `Chunk` is read back from (absent ones are simply not returned). */
export const CHUNK_FIELDS = [
  'id', 'file', 'start', 'end', 'text', 'embedText', 'title', 'section', 'questionNumber', 'difficulty', 'roles', 'lang', 'kind', 'footnotes', 'followUps', 'part',
] as const;

export function chunkPayload(chunk: StoredChunk, ord: number, avgdl: number): ChunkPayload {
  const tf: Record<string, number> = {};
  for (const [term, f] of termFrequencies(chunk.terms)) tf[termKey(term)] = f;
  const p: ChunkPayload = {
    doc: 'chunk',
    id: chunk.id,
    file: chunk.file,
    ord,
    start: chunk.start,
    end: chunk.end,
    text: chunk.text,
    embedText: chunk.embedText,
    section: chunk.section,
    section_lc: chunk.section.map((s) => s.toLowerCase()),
    lang: chunk.lang,
    kind: chunk.kind,
    footnotes: chunk.footnotes,
    len: documentLength(chunk.terms),
    avgdl,
    tf,
  };
  if (chunk.title !== undefined) p['title'] = chunk.title;
  if (chunk.questionNumber !== undefined) p['questionNumber'] = chunk.questionNumber;
  if (chunk.difficulty !== undefined) {
    p['difficulty'] = chunk.difficulty;
    p['difficulty_lc'] = chunk.difficulty.toLowerCase();
  }
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
