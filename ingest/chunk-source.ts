import type { Chunk } from '../src/ports/chunk.js';
import { detectLanguage } from '../src/lang/detect-language.js';
import { chunkDocument, type ChunkOptions } from './chunk.js';
import { chunksFromJson, type JsonFieldMap } from './json-records.js';
import { looksLikeMarkdown, parseDocument } from './parse.js';
import type { SourceFile } from './source-files.js';

/** How files are chunked: the chunk sizes, and the field names of JSON chunk files. */
export interface ChunkSourceOptions {
  chunk: ChunkOptions;
  jsonFields: JsonFieldMap;
}

/**
 * Parses and chunks one source file according to its format.
 *
 * @throws JsonRecordsError for a malformed JSON chunk file, FrontmatterError for malformed front
 * matter. The markdown parser's cost grows faster than the file on some shapes (see
 * `IsolatedChunker`, which bounds it); ingestion calls this through that.
 */
export function chunkSource(source: SourceFile, options: ChunkSourceOptions): Chunk[] {
  if (source.format === 'json') return chunksFromJson(source.file, source.text, options.jsonFields, detectLanguage, options.chunk.maxChars);
  const markdown = source.format === 'markdown' || looksLikeMarkdown(source.text);
  const doc = parseDocument(source.text, { markdown });
  const declared = doc.frontmatter['lang'];
  const lang = typeof declared === 'string' && /^[a-z]{2}$/i.test(declared) ? declared.toLowerCase() : detectLanguage(source.text.slice(0, 5000));
  return chunkDocument(source.file, source.text, doc, lang, options.chunk);
}

