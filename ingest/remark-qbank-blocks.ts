import type { Link, ListItem, Root, RootContent } from 'mdast';
import type { Plugin } from 'unified';
import type { Node } from 'unist';
import type { VFile } from 'vfile';
import { parse as parseYaml } from 'yaml';
import type { Footnote } from '../src/ports/chunk.js';
import { cleanBlockText, isNoiseBlock, recoverRunTogetherTable, renderTable } from './clean.js';

/** What a block is in the question bank's structure. */
export type BlockRole =
  | 'heading'
  | 'question'
  | 'meta'
  | 'answer-marker'
  | 'follow-ups-marker'
  | 'item'
  | 'paragraph'
  | 'table'
  | 'code'
  | 'noise';

/** A contiguous span of the source with its role and its cleaned text. */
export interface Block {
  role: BlockRole;
  /** Offsets into the source text (JavaScript string indices). */
  start: number;
  end: number;
  /** Cleaned text; empty for noise. */
  text: string;
  /** Heading depth (1–6); plain-text headings and categories are depth 2. */
  depth?: number;
  question?: { number: number; title: string };
  meta?: { difficulty?: string; roles?: string[] };
}

/** Thrown for malformed front matter; the ingest pipeline reports it with the file's path. */
export class FrontmatterError extends Error {}

const QUESTION = /^(?:Q|Question\s*)(\d{1,4})[.:)]\s+(\S.*)$/;
const CATEGORY = /^(?:Category|Kategorie|Part|Teil|Section)\s+(\d+)\s*(?:—|–|-|:|\\text\{---\})\s*(\S.*)$/i;
const META = /^(?:Difficulty|Schwierigkeit(?:sgrad)?)\s*:\s*([^|]+?)\s*(?:\|\s*(?:Target\s+)?Roles?\s*:\s*(.+))?$/i;
const ANSWER = /^(?:Model\s+)?(?:Answer|Antwort)\s*:?$/i;
const FOLLOW_UPS = /^(?:Follow[- ]?ups?|Follow-up questions|Folgefragen)\s*:?$/i;
const BULLET = /^\s*[•▪◦‣∙·]\s+/;

/**
 * Flattens the mdast tree into blocks with structural roles (`file.data.blocks`), reads front
 * matter (`file.data.frontmatter`) and footnote definitions (`file.data.footnotes`).
 * Plain-text documents (`file.data.markdown === false`) get their headings, numbered
 * questions, "Difficulty | Roles" lines, "Answer" and "Follow-ups:" markers recovered by rule.
 */
export const remarkQbankBlocks: Plugin<[], Root> = function () {
  return (tree: Root, file: VFile) => {
    const source = String(file.value);
    const markdown = file.data.markdown !== false;
    const footnotes = new Map<string, Footnote>();
    const blocks: Block[] = [];
    for (const node of tree.children) {
      if (node.type === 'yaml') {
        file.data.frontmatter = readFrontmatter(node.value);
        continue;
      }
      if (node.type === 'footnoteDefinition') {
        footnotes.set(node.identifier, footnoteOf(node.identifier, node));
        continue;
      }
      blocks.push(...blocksOf(node, source, markdown));
    }
    if (!markdown) markPlainTextHeadings(blocks);
    file.data.blocks = blocks;
    file.data.footnotes = footnotes;
  };
};

/** Longest front matter read; YAML's parser is slow on huge mappings, and real front matter is a few lines. */
const MAX_FRONTMATTER_CHARS = 64 * 1024;

function readFrontmatter(yaml: string): Record<string, unknown> {
  if (yaml.length > MAX_FRONTMATTER_CHARS) throw new FrontmatterError(`front matter is longer than ${MAX_FRONTMATTER_CHARS / 1024} KiB; keep it to a few fields`);
  let value: unknown;
  try {
    value = parseYaml(yaml);
  } catch (cause) {
    throw new FrontmatterError(`front matter is not valid YAML (${(cause as Error).message.split('\n')[0]})`, { cause });
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new FrontmatterError('front matter is not a mapping of fields');
  return value as Record<string, unknown>;
}

function footnoteOf(id: string, node: RootContent): Footnote {
  const link = findLink(node);
  if (!link) return { id, url: '' };
  const title = link.children.map((c) => ('value' in c ? c.value : '')).join('');
  return title ? { id, url: link.url, title } : { id, url: link.url };
}

function findLink(node: unknown): Link | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const n = node as { type?: string; children?: unknown[] };
  if (n.type === 'link') return node as Link;
  for (const child of n.children ?? []) {
    const found = findLink(child);
    if (found) return found;
  }
  return undefined;
}

function span(node: Node): [number, number] | undefined {
  const start = node.position?.start.offset;
  const end = node.position?.end.offset;
  return start === undefined || end === undefined ? undefined : [start, end];
}

function blocksOf(node: RootContent, source: string, markdown: boolean): Block[] {
  const s = span(node);
  if (!s) return [];
  const [start, end] = s;
  const raw = source.slice(start, end);
  switch (node.type) {
    case 'heading':
      // In plain text a `#` line is a code comment or a stray mark, not a heading.
      if (!markdown) return classifyText(source, start, end, markdown, 'paragraph');
      return [{ role: 'heading', start, end, depth: node.depth, text: cleanBlockText(raw, { markdown: true }) }];
    case 'list':
      return node.children.flatMap((item: ListItem) => {
        const is = span(item);
        if (!is) return [];
        return classifyText(source, is[0], is[1], markdown, 'item');
      });
    case 'table':
      return [{ role: 'table', start, end, text: renderMarkdownTable(raw) }];
    case 'code':
      // In plain text an indented run is not code, only indented prose.
      if (!markdown) return classifyText(source, start, end, markdown, 'paragraph');
      return [{ role: 'code', start, end, text: node.value.trim() }];
    case 'thematicBreak':
    case 'definition':
    case 'html':
      return [];
    default:
      return classifyText(source, start, end, markdown, 'paragraph');
  }
}

/**
 * Splits a paragraph into lines when any line carries structure (a question, a metadata line,
 * a marker, a bullet) or the lines look like table rows, and gives each part its role.
 */
function classifyText(source: string, start: number, end: number, markdown: boolean, fallback: 'item' | 'paragraph'): Block[] {
  const raw = source.slice(start, end);
  if (isNoiseBlock(cleanBlockText(raw, { markdown }))) return [{ role: 'noise', start, end, text: '' }];
  const lines = lineSpans(raw, start);
  const structured = lines.length > 1 && lines.some((l) => roleOfLine(l.text, markdown) !== undefined || BULLET.test(l.text));
  if (!structured) {
    if (!markdown && fallback === 'paragraph' && looksLikeTable(lines.map((l) => l.text))) {
      const rows = recoverRunTogetherTable(lines.map((l) => l.text));
      return [{ role: 'table', start, end, text: rows ? renderTable(rows) : cleanBlockText(raw, { markdown }) }];
    }
    return [classifyLine(raw, start, end, markdown, fallback)];
  }
  return lines.map((l) => classifyLine(l.text, l.start, l.end, markdown, BULLET.test(l.text) ? 'item' : fallback));
}

function classifyLine(raw: string, start: number, end: number, markdown: boolean, fallback: 'item' | 'paragraph'): Block {
  const text = cleanBlockText(raw.replace(BULLET, '• '), { markdown });
  if (isNoiseBlock(text)) return { role: 'noise', start, end, text: '' };
  const role = roleOfLine(text, markdown);
  if (role === 'question') {
    const m = QUESTION.exec(text);
    return { role, start, end, text, question: { number: Number(m?.[1]), title: text } };
  }
  if (role === 'category') return { role: 'heading', start, end, depth: 2, text };
  if (role === 'meta') {
    const m = META.exec(text);
    const difficulty = m?.[1]?.trim();
    const roles = m?.[2]?.split(',').map((r) => r.trim()).filter(Boolean);
    const meta: Block['meta'] = {};
    if (difficulty) meta.difficulty = difficulty;
    if (roles && roles.length > 0) meta.roles = roles;
    return { role, start, end, text, meta };
  }
  if (role) return { role, start, end, text };
  return { role: fallback, start, end, text };
}

function roleOfLine(text: string, markdown: boolean): 'question' | 'category' | 'meta' | 'answer-marker' | 'follow-ups-marker' | undefined {
  const t = text.trim();
  if (QUESTION.test(t)) return 'question';
  if (CATEGORY.test(t)) return 'category';
  if (META.test(t) && t.length < 200) return 'meta';
  if (ANSWER.test(t)) return 'answer-marker';
  if (FOLLOW_UPS.test(t)) return 'follow-ups-marker';
  void markdown;
  return undefined;
}

function lineSpans(raw: string, offset: number): { text: string; start: number; end: number }[] {
  const out: { text: string; start: number; end: number }[] = [];
  let pos = 0;
  for (const line of raw.split('\n')) {
    const lead = line.length - line.trimStart().length;
    const body = line.trim();
    if (body.length > 0) out.push({ text: body, start: offset + pos + lead, end: offset + pos + lead + body.length });
    pos += line.length + 1;
  }
  return out;
}

/** Several short lines without sentence punctuation at their ends: rows of a scraped table. */
function looksLikeTable(lines: readonly string[]): boolean {
  if (lines.length < 3) return false;
  return lines.every((l) => l.length < 260 && !/[.:!?,({[=]$/.test(l.trim()) && !/^=|\s=\s|->|^[#|]/.test(l.trim()));
}

function renderMarkdownTable(raw: string): string {
  const rows = raw
    .split('\n')
    .filter((l) => l.includes('|') && !/^\s*\|?\s*:?-{3,}/.test(l))
    .map((l) =>
      l
        .trim()
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((c) => cleanBlockText(c, { markdown: true })),
    );
  return renderTable(rows);
}

/**
 * Marks headings in plain text: a single line standing alone, short, starting with a capital or
 * digit, without sentence punctuation at its end, followed by content rather than by another
 * such line, and not a run-together table row.
 */
function markPlainTextHeadings(blocks: Block[]): void {
  const first = blocks.findIndex((b) => b.role !== 'noise');
  const title = blocks[first];
  // A scraped page opens with its title line.
  if (title && title.role === 'paragraph' && isHeadingLike(title.text) && title.text.length > 3) {
    blocks[first] = { ...title, role: 'heading', depth: 1 };
  }
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i];
    if (!b || b.role !== 'paragraph') continue;
    const t = b.text;
    const wordCount = t.split(/\s+/).length;
    if (t.includes('\n') || t.length > 80 || wordCount > 12 || wordCount < 1) continue;
    if (!/^[\p{Lu}\d]/u.test(t) || /[.:;,!?"”]$/.test(t)) continue;
    // Formulas and code ("MultiHead(Q, K, V) = …", "x -> y") are not headings.
    if (/[=*_{}|^<>[\]\\]|->/.test(t)) continue;
    if (/[a-z)][A-Z][a-z]/.test(t.replace(/\b(?:[A-Z][a-z]+[A-Z][A-Za-z]*)\b/g, ''))) continue;
    const next = nextContent(blocks, i);
    if (!next || (next.role === 'paragraph' && isHeadingLike(next.text))) continue;
    blocks[i] = { ...b, role: 'heading', depth: 2 };
  }
}

function nextContent(blocks: readonly Block[], i: number): Block | undefined {
  for (let j = i + 1; j < blocks.length; j++) {
    const b = blocks[j];
    if (b && b.role !== 'noise') return b;
  }
  return undefined;
}

function isHeadingLike(text: string): boolean {
  return !text.includes('\n') && text.length <= 80 && !/[.:;,!?]$/.test(text);
}
