import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';

export type SourceFormat = 'markdown' | 'text' | 'json';

/** A corpus file read and checked, ready to parse. */
export interface SourceFile {
  /** Path relative to the corpus directory, with `/` separators. */
  file: string;
  format: SourceFormat;
  text: string;
  /** sha256 of the file's bytes. */
  sha256: string;
}

/** Largest file ingested; a bigger one is skipped with its reason. */
export const MAX_FILE_BYTES = 20 * 1024 * 1024;

const FORMATS: Record<string, SourceFormat> = { '.md': 'markdown', '.markdown': 'markdown', '.txt': 'text', '.json': 'json' };

/** Corpus-relative paths of the files qbank ingests, sorted; hidden files and folders are left out. */
export async function listSourceFiles(corpusDir: string): Promise<string[]> {
  const entries = await readdir(corpusDir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && FORMATS[extname(e.name).toLowerCase()] !== undefined)
    .map((e) => relative(corpusDir, join(e.parentPath, e.name)).split(sep).join('/'))
    .filter((p) => !p.split('/').some((part) => part.startsWith('.')))
    .sort();
}

/**
 * Reads one corpus file and checks that it is text qbank can ingest. Returns the reason as a
 * string when it cannot: empty, too large, binary, or not UTF-8.
 */
export async function readSourceFile(corpusDir: string, file: string): Promise<SourceFile | { file: string; reason: string }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(corpusDir, file));
  } catch (cause) {
    return { file, reason: `cannot be read (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})` };
  }
  if (bytes.length === 0) return { file, reason: 'the file is empty' };
  if (bytes.length > MAX_FILE_BYTES) return { file, reason: `the file is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB` };
  if (bytes.includes(0)) return { file, reason: 'the file is binary (it contains NUL bytes)' };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return { file, reason: 'the file is not valid UTF-8 text' };
  }
  if (text.trim() === '') return { file, reason: 'the file holds only white space' };
  const format = FORMATS[extname(file).toLowerCase()] ?? 'text';
  return { file, format, text, sha256: createHash('sha256').update(bytes).digest('hex') };
}
