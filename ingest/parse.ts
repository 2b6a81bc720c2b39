import remarkFrontmatter from 'remark-frontmatter';
import remarkGfm from 'remark-gfm';
import remarkParse from 'remark-parse';
import { unified } from 'unified';
import { VFile } from 'vfile';
import type { Footnote } from '../src/ports/chunk.js';
import { remarkQbankBlocks, type Block } from './remark-qbank-blocks.js';
export { FrontmatterError } from './remark-qbank-blocks.js';

declare module 'vfile' {
  interface DataMap {
    /** Front-matter fields of the document (title, lang, …). */
    frontmatter?: Record<string, unknown>;
    /** Footnote definitions by id. */
    footnotes?: ReadonlyMap<string, Footnote>;
    /** The document's blocks with their structural roles, in document order. */
    blocks?: Block[];
    /** Whether the source is markdown (true) or plain text recovered by rule (false). */
    markdown?: boolean;
  }
}

/** The document as the chunker needs it. */
export interface ParsedDocument {
  frontmatter: Record<string, unknown>;
  footnotes: ReadonlyMap<string, Footnote>;
  blocks: Block[];
  markdown: boolean;
}

/**
 * One frozen processor for every document: remark-parse, front matter and GFM, then
 * qbank's own plugin that flattens the tree into blocks with structural roles.
 */
const processor = unified().use(remarkParse).use(remarkFrontmatter, ['yaml']).use(remarkGfm).use(remarkQbankBlocks).freeze();

/**
 * Parses a markdown or plain-text document. Plain text (`markdown: false`) is parsed by
 * remark too, so offsets come from the same positions; its headings, questions and
 * metadata lines are recovered by rule.
 */
export function parseDocument(text: string, options: { markdown: boolean }): ParsedDocument {
  const file = new VFile({ value: text, data: { markdown: options.markdown } });
  processor.runSync(processor.parse(file), file);
  return {
    frontmatter: file.data.frontmatter ?? {},
    footnotes: file.data.footnotes ?? new Map(),
    blocks: file.data.blocks ?? [],
    markdown: options.markdown,
  };
}

/** Whether a `.txt` file is markdown: it has front matter or `#` headings. */
export function looksLikeMarkdown(text: string): boolean {
  if (/^---\r?\n[^]*?\r?\n---\r?\n/.test(text)) return true;
  // A `#` line deep inside plain text is usually a code comment; a markdown page opens with a heading or has several.
  if (/^\s*#{1,6} \S/.test(text)) return true;
  return (text.match(/^#{2,6} \S/gm) ?? []).length >= 3;
}
