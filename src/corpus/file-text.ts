import { readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { InvalidInputError } from '../errors.js';

/**
 * Reads the original text of corpus files for exact quotes, cached per file. Paths are
 * corpus-relative; one that escapes the corpus directory (`..`, absolute, a link outside) is refused.
 */
export class CorpusFiles {
  readonly #cache = new Map<string, string>();
  readonly #root: string;

  constructor(corpusDir: string) {
    this.#root = realpathSync(corpusDir);
  }

  text(file: string): string {
    const cached = this.#cache.get(file);
    if (cached !== undefined) return cached;
    const path = this.resolve(file);
    const text = readFileSync(path, 'utf8');
    this.#cache.set(file, text);
    return text;
  }

  /** The absolute path of a corpus-relative file, refusing any path outside the corpus. */
  resolve(file: string): string {
    if (typeof file !== 'string' || file.length === 0 || file.includes('\0') || isAbsolute(file)) throw new InvalidInputError(`"${String(file)}" is not a corpus file path.`, 'file');
    const path = realpathSync(join(this.#root, file));
    const rel = relative(this.#root, path);
    if (rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) throw new InvalidInputError(`"${file}" is outside the corpus.`, 'file');
    return path;
  }

  /** Forget cached texts (after a re-ingest). */
  clear(): void {
    this.#cache.clear();
  }
}
