import { createHash } from 'node:crypto';
import type { Chunk, ChunkKind, Footnote } from '../src/ports/chunk.js';
import { cleanBlockText } from './clean.js';
import type { ParsedDocument } from './parse.js';
import type { Block } from './remark-qbank-blocks.js';

/** Bump when chunk boundaries or texts change, so that re-ingest rebuilds every file. */
export const CHUNKER_VERSION = 5;

/**
 * How documents are cut into chunks.
 *
 * @example
 * const options: ChunkOptions = { maxChars: 1200, minChars: 250, listGroupChars: 400 };
 */
export interface ChunkOptions {
  /** Longest chunk text before an answer is split at a paragraph, line or sentence boundary. 300–4000, default 1200. */
  maxChars: number;
  /** A trailing piece shorter than this joins the piece before it. 0–1000, default 250. */
  minChars: number;
  /** Short question-list items are grouped under their heading up to this length. 0–2000, default 400. */
  listGroupChars: number;
}

export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = { maxChars: 1200, minChars: 250, listGroupChars: 400 };

interface Unit {
  kind: 'question' | 'section';
  start: number;
  blocks: Block[];
  title?: string;
  number?: number;
  difficulty?: string;
  roles?: string[];
  followUps: string[];
  inFollowUps: boolean;
  section: string[];
}

/** A piece of text with its source span, before it becomes a chunk. */
interface Piece {
  start: number;
  end: number;
  texts: string[];
}

/**
 * Cuts a parsed document into chunks by its structure: a question with its answer is one unit
 * (split at block boundaries when long), follow-up questions become metadata, short
 * question-list items are grouped under their heading, and other prose is packed by section.
 */
export function chunkDocument(file: string, source: string, doc: ParsedDocument, lang: string, options: ChunkOptions = DEFAULT_CHUNK_OPTIONS): Chunk[] {
  const headings: { depth: number; text: string }[] = [];
  const units: Unit[] = [];
  let unit: Unit | undefined;
  let lastNumber = 0;
  let sawContent = false;
  let docTitle = typeof doc.frontmatter['title'] === 'string' ? doc.frontmatter['title'] : undefined;

  const sectionPath = () => headings.map((h) => h.text);
  const flush = () => {
    if (unit && (unit.blocks.length > 0 || unit.kind === 'question')) units.push(unit);
    unit = undefined;
  };
  const startQuestion = (start: number, number: number, title: string | undefined) => {
    flush();
    unit = { kind: 'question', start, blocks: [], number, followUps: [], inFollowUps: false, section: sectionPath() };
    if (title !== undefined) unit.title = title;
    lastNumber = number;
  };

  for (const block of doc.blocks) {
    switch (block.role) {
      case 'noise':
      case 'answer-marker':
        continue;
      case 'heading': {
        flush();
        // The page's own title is not a section: a first H1 before any content, or one repeating the front-matter title.
        if (block.depth === 1 && !sawContent && (docTitle === undefined || docTitle.trim() === block.text.trim())) {
          docTitle = block.text;
          continue;
        }
        const depth = block.depth ?? 2;
        while (headings.length > 0 && (headings.at(-1)?.depth ?? 0) >= depth) headings.pop();
        headings.push({ depth, text: block.text });
        continue;
      }
      case 'question':
        sawContent = true;
        startQuestion(block.start, block.question?.number ?? lastNumber + 1, block.question?.title ?? block.text);
        continue;
      case 'meta': {
        // A metadata line after an answer means the page lost the next question's title.
        if (!unit || unit.kind !== 'question' || unit.blocks.length > 0 || unit.inFollowUps) startQuestion(block.start, lastNumber + 1, undefined);
        const u = unit as Unit | undefined;
        if (u && block.meta?.difficulty) u.difficulty = block.meta.difficulty;
        if (u && block.meta?.roles) u.roles = block.meta.roles;
        continue;
      }
      case 'follow-ups-marker':
        if (unit?.kind === 'question') {
          unit.inFollowUps = true;
          continue;
        }
        break;
      case 'item':
        if (unit?.inFollowUps) {
          unit.followUps.push(block.text.replace(/^(?:[-*+•]|\d+[.)])\s+/, ''));
          continue;
        }
        break;
      default:
        break;
    }
    sawContent = true;
    if (unit?.inFollowUps) flush();
    if (!unit) unit = { kind: 'section', start: block.start, blocks: [], followUps: [], inFollowUps: false, section: sectionPath() };
    unit.blocks.push(block);
  }
  flush();

  const chunks: Chunk[] = [];
  const seen = new Map<string, number>();
  for (const u of units) {
    for (const c of unitChunks(u, source, doc, options, lang, docTitle, file)) {
      const base = chunkId(file, c);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      chunks.push({ ...c, id: n === 0 ? base : `${base}-${n}` });
    }
  }
  return chunks;
}

function unitChunks(u: Unit, source: string, doc: ParsedDocument, options: ChunkOptions, lang: string, docTitle: string | undefined, file: string): Omit<Chunk, 'id'>[] {
  const listItems = u.blocks.every((b) => b.role === 'item') && u.blocks.length > 0;
  const short = listItems && u.blocks.reduce((n, b) => n + b.text.length, 0) / u.blocks.length < 300;
  const kind: ChunkKind = u.kind === 'question' ? 'qa' : short ? 'question-list' : 'section';
  const limit = kind === 'question-list' ? options.listGroupChars : options.maxChars;
  const pieces = pack(splitLongBlocks(u.blocks, source, doc.markdown, options.maxChars), limit, kind === 'question-list' ? 0 : options.minChars);
  if (u.kind === 'question' && pieces.length === 0) pieces.push({ start: u.start, end: u.start, texts: [] });
  const first = pieces[0];
  if (first && u.kind === 'question') first.start = u.start;

  const title = u.kind === 'question' ? (u.title ?? untitled(u, pieces)) : (u.section.at(-1) ?? docTitle);
  return pieces.map((p, index) => {
    const text = p.texts.join('\n');
    const titleLine = title ?? '';
    const end = Math.max(p.end, u.kind === 'question' && index === 0 ? endOfTitle(source, u.start) : p.end);
    const chunk: Omit<Chunk, 'id'> = {
      file,
      start: p.start,
      end,
      text: text || titleLine,
      embedText: kind === 'qa' ? `${titleLine}\n${text}`.trim() : `${titleLine ? `${titleLine}: ` : ''}${text}`,
      section: u.section,
      lang,
      kind,
      footnotes: footnotesIn(source.slice(p.start, end), doc.footnotes),
    };
    if (title) chunk.title = title;
    if (u.number !== undefined) chunk.questionNumber = u.number;
    if (u.difficulty) chunk.difficulty = u.difficulty;
    if (u.roles) chunk.roles = u.roles;
    if (u.followUps.length > 0) chunk.followUps = u.followUps;
    if (pieces.length > 1 && kind !== 'question-list') chunk.part = { index, count: pieces.length };
    return chunk;
  });
}

function untitled(u: Unit, pieces: readonly Piece[]): string {
  const firstSentence = pieces[0]?.texts[0]?.split(/(?<=[.!?])\s/)[0] ?? '';
  const gist = firstSentence.length > 90 ? `${firstSentence.slice(0, 87)}…` : firstSentence;
  return `Q${u.number ?? '?'}. ${gist}`.trim();
}

function endOfTitle(source: string, start: number): number {
  const nl = source.indexOf('\n', start);
  return nl === -1 ? source.length : nl;
}

/** Splits blocks longer than `max` at line boundaries, then at sentence boundaries, keeping offsets. */
function splitLongBlocks(blocks: readonly Block[], source: string, markdown: boolean, max: number): Piece[] {
  const out: Piece[] = [];
  for (const b of blocks) {
    if (b.text.length <= max) {
      out.push({ start: b.start, end: b.end, texts: [b.text] });
      continue;
    }
    for (const s of splitSpan(source, b.start, b.end, max)) {
      const text = cleanBlockText(source.slice(s.start, s.end), { markdown });
      if (text) out.push({ start: s.start, end: s.end, texts: [text] });
    }
  }
  return out;
}

function splitSpan(source: string, start: number, end: number, max: number): { start: number; end: number }[] {
  const raw = source.slice(start, end);
  const boundary = raw.includes('\n') ? /\n+/g : /(?<=[.!?;])\s+(?=\S)/g;
  const parts: { start: number; end: number }[] = [];
  let from = 0;
  for (const m of raw.matchAll(boundary)) {
    const at = m.index ?? 0;
    if (at > from) parts.push({ start: start + from, end: start + at });
    from = at + m[0].length;
  }
  if (from < raw.length) parts.push({ start: start + from, end });
  if (parts.length <= 1) return hardSplit(start, end, max);
  const merged: { start: number; end: number }[] = [];
  for (const p of parts) {
    const last = merged.at(-1);
    if (last && p.end - last.start <= max) last.end = p.end;
    else if (p.end - p.start > max) merged.push(...splitSpan(source, p.start, p.end, max));
    else merged.push({ ...p });
  }
  return merged;
}

/** Last resort for a single sentence longer than `max`: cut at whitespace. */
function hardSplit(start: number, end: number, max: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (let s = start; s < end; s += max) out.push({ start: s, end: Math.min(end, s + max) });
  return out;
}

/** Greedy packing of consecutive pieces up to `max` characters; a short tail joins its predecessor. */
function pack(pieces: readonly Piece[], max: number, min: number): Piece[] {
  const out: Piece[] = [];
  let size = 0;
  for (const p of pieces) {
    const len = p.texts.join('\n').length;
    const last = out.at(-1);
    if (last && size + len + 1 <= max) {
      last.end = p.end;
      last.texts.push(...p.texts);
      size += len + 1;
    } else {
      out.push({ start: p.start, end: p.end, texts: [...p.texts] });
      size = len;
    }
  }
  const tail = out.at(-1);
  const before = out.at(-2);
  if (tail && before && size < min && before.texts.join('\n').length + size <= max * 1.25) {
    before.end = tail.end;
    before.texts.push(...tail.texts);
    out.pop();
  }
  return out;
}

function footnotesIn(span: string, definitions: ReadonlyMap<string, Footnote>): Footnote[] {
  const ids = new Set<string>();
  for (const m of span.matchAll(/\[\^([^\]\s]+)\]/g)) if (m[1]) ids.add(m[1].toLowerCase());
  const out: Footnote[] = [];
  for (const id of ids) {
    const def = definitions.get(id);
    if (def) out.push(def);
  }
  return out;
}

function chunkId(file: string, c: Omit<Chunk, 'id'>): string {
  return createHash('sha256').update(`${file}\u0000${c.title ?? ''}\u0000${c.text}`).digest('hex').slice(0, 16);
}
