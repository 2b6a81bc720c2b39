import Database from 'better-sqlite3';
import { QbankError } from '../../errors.js';

/** Why the file system refused a write, in words, or `undefined` for other errors. */
export function storageProblem(err: unknown): string | undefined {
  const code = err instanceof Database.SqliteError ? err.code : (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') return undefined;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return 'the disk is full';
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return 'the directory is read-only or not writable';
  if (code.startsWith('SQLITE_CANTOPEN')) return 'the file cannot be opened for writing';
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') return 'the disk reported an I/O error';
  return undefined;
}

/** A storage failure while changing the index: says what happened, that nothing was lost, and what to do. */
export class StorageError extends QbankError {
  constructor(readonly path: string, readonly problem: string, options?: { cause?: unknown }) {
    super(
      'storage_unavailable',
      `The index at ${path} cannot be written: ${problem}. The previous index is unchanged. ` +
        'Free space or make the directory writable (or set QBANK_DATA_DIR to another directory), then run npx qbank ingest again.',
      options,
    );
  }
}
