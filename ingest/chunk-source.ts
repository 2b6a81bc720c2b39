import type { Chunk } from '../src/ports/chunk.js';
import { detectLanguage } from '../src/lang/detect-language.js';
import { chunkDocument, type ChunkOptions } from './chunk.js';
import { chunksFromJson, type JsonFieldMap } from './json-records.js';
import { looksLikeMarkdown, parseDocument } from './parse.js';
import type { SourceFile } from './source-files.js';

/** Parses and chunks one source file according to its format. */
export function chunkSource(source: SourceFile, options: { chunk: ChunkOptions; jsonFields: JsonFieldMap }): Chunk[] {
  if (source.format === 'json') return chunksFromJson(source.file, source.text, options.jsonFields, detectLanguage, options.chunk.maxChars);
  const markdown = source.format === 'markdown' || looksLikeMarkdown(source.text);
  const doc = parseDocument(source.text, { markdown });
  const declared = doc.frontmatter['lang'];
  const lang = typeof declared === 'string' && /^[a-z]{2}$/i.test(declared) ? declared.toLowerCase() : detectLanguage(source.text.slice(0, 5000));
  return chunkDocument(source.file, source.text, doc, lang, options.chunk);
}

