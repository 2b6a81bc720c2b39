import type { Chunk, ChunkKind, Footnote, StoredChunk } from '../../ports/chunk.js';

/**
 * A chunk as a row of the `chunks` table: scalars as columns, arrays and objects as JSON,
 * absent optional fields as NULL (and back to absent, never to `undefined`-valued keys).
 *
 * @example
 * rowToChunk(chunkToRow(stored)); // deep-equals stored without `terms` / `vector`
 */
export interface ChunkRow {
  id: string;
  file: string;
  start_offset: number;
  end_offset: number;
  text: string;
  embed_text: string;
  title: string | null;
  section: string;
  /** Lower-cased section path (JSON array), for the case-insensitive section filter. */
  section_lc: string;
  question_number: number | null;
  difficulty: string | null;
  /** Lower-cased difficulty, for the case-insensitive difficulty filter. */
  difficulty_lc: string | null;
  roles: string | null;
  lang: string;
  kind: string;
  footnotes: string;
  follow_ups: string | null;
  part: string | null;
  /** Analysed terms (JSON array); the FTS5 document is rebuilt from them to delete it. */
  terms: string;
}

export function chunkToRow(chunk: StoredChunk): ChunkRow {
  return {
    id: chunk.id,
    file: chunk.file,
    start_offset: chunk.start,
    end_offset: chunk.end,
    text: chunk.text,
    embed_text: chunk.embedText,
    title: chunk.title ?? null,
    section: JSON.stringify(chunk.section),
    section_lc: JSON.stringify(chunk.section.map((s) => s.toLowerCase())),
    question_number: chunk.questionNumber ?? null,
    difficulty: chunk.difficulty ?? null,
    difficulty_lc: chunk.difficulty?.toLowerCase() ?? null,
    roles: chunk.roles === undefined ? null : JSON.stringify(chunk.roles),
    lang: chunk.lang,
    kind: chunk.kind,
    footnotes: JSON.stringify(chunk.footnotes),
    follow_ups: chunk.followUps === undefined ? null : JSON.stringify(chunk.followUps),
    part: chunk.part === undefined ? null : JSON.stringify({ index: chunk.part.index, count: chunk.part.count }),
    terms: JSON.stringify(chunk.terms),
  };
}

/** The columns `rowToChunk` reads (all but `terms`). */
export const CHUNK_COLUMNS =
  'id, file, start_offset, end_offset, text, embed_text, title, section, section_lc, question_number, difficulty, difficulty_lc, roles, lang, kind, footnotes, follow_ups, part';

export function rowToChunk(row: Omit<ChunkRow, 'terms'>): Chunk {
  const chunk: Chunk = {
    id: row.id,
    file: row.file,
    start: row.start_offset,
    end: row.end_offset,
    text: row.text,
    embedText: row.embed_text,
    section: JSON.parse(row.section) as string[],
    lang: row.lang,
    kind: row.kind as ChunkKind,
    footnotes: JSON.parse(row.footnotes) as Footnote[],
  };
  if (row.title !== null) chunk.title = row.title;
  if (row.question_number !== null) chunk.questionNumber = row.question_number;
  if (row.difficulty !== null) chunk.difficulty = row.difficulty;
  if (row.roles !== null) chunk.roles = JSON.parse(row.roles) as string[];
  if (row.follow_ups !== null) chunk.followUps = JSON.parse(row.follow_ups) as string[];
  if (row.part !== null) chunk.part = JSON.parse(row.part) as { index: number; count: number };
  return chunk;
}
