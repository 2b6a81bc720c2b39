import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InvalidInputError } from '../errors.js';

/** The flags every command that opens the index takes: where the corpus and data are, which store and embedder, help. */
export const COMMON_FLAGS = {
  corpus: { type: 'string' },
  'data-dir': { type: 'string' },
  store: { type: 'string' },
  embedder: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Parses a sub-command's flags; an unknown flag or a missing value is a clear error. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (cause) {
    throw new InvalidInputError(`${(cause as Error).message.replace(/\. To specify.*$/s, '')}. Run "qbank help" for the flags.`, undefined, { cause });
  }
}

/** A whole number flag within a range, or the default when absent. */
export function intFlag(value: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidInputError(`--${name} must be a whole number from ${min} to ${max}, not "${value}".`, name);
  return n;
}

/** A comma-separated list flag, e.g. `--difficulty hard,medium`. */
export function listFlag(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  return items.length > 0 ? items : undefined;
}
