import { Worker } from 'node:worker_threads';
import type { Chunk } from '../src/ports/chunk.js';
import type { ChunkSourceOptions } from './chunk-source.js';
import type { ChunkJob } from './chunk-worker.js';
import { JsonRecordsError } from './json-records.js';
import { FrontmatterError } from './remark-qbank-blocks.js';
import type { SourceFile } from './source-files.js';

/**
 * A file could not be parsed within the limits: it took too long, nested too deeply for the
 * stack, or needed more memory than allowed. Ingestion skips the file with this message.
 */
export class ParseLimitError extends Error {
  constructor(readonly file: string, readonly limit: 'time' | 'depth' | 'memory', message: string) {
    super(message);
    this.name = 'ParseLimitError';
  }
}

/**
 * Longest parse of one file: `baseMs + perKiBMs × size in KiB`. The markdown parser handles a
 * typical page at 100–500 KiB/s; some shapes (thousands of nested list or quote markers on one
 * line, long runs of unclosed brackets or emphasis marks, setext underlines) make it quadratic,
 * and a 20 KiB file can then take minutes.
 */
export interface ParseDeadline {
  /** ms every file gets, 100–600000. Default 10000. */
  baseMs: number;
  /** ms more per KiB of text, 0–10000. Default 20 (a 200 KiB file: 14 s; the largest, 20 MiB: 7 min). */
  perKiBMs: number;
}

export const DEFAULT_PARSE_DEADLINE: ParseDeadline = { baseMs: 10_000, perKiBMs: 20 };

/** Parses and chunks source files. */
export interface Chunker {
  chunk(source: SourceFile, options: ChunkSourceOptions): Promise<Chunk[]>;
  close(): Promise<void>;
}

export interface IsolatedChunkerOptions {
  deadline?: ParseDeadline;
  /** The worker's heap, MB, 64–16384. Default 1024. */
  maxHeapMb?: number;
  /** The worker's stack, MB, 1–256. Default 16: room for deep but reasonable nesting. */
  stackMb?: number;
  /**
   * A module-customization hook (`module.register`) the worker loads first. Needed only when
   * qbank runs from its TypeScript sources (tests): `test/support/ts-loader.mjs`.
   */
  loader?: string;
}

type Reply = { ready: true } | { id: number; chunks: Chunk[] } | { id: number; error: { kind: string; message: string } };

/** The worker's first code: load the customization hook, if any, then the entry module. */
const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
if (workerData.loader) require('node:module').register(workerData.loader);
import(workerData.entry).catch((error) => parentPort.postMessage({ id: -1, error: { kind: 'StartupError', message: String((error && error.stack) || error) } }));
`;

/**
 * Parses and chunks each file in a worker thread under a deadline, so that no file can hang
 * ingestion (and `qbank serve`, which ingests before it listens) or crash the process: a parse
 * past its deadline is stopped (the worker is terminated and replaced), a stack overflow or an
 * out-of-memory in the parser ends only the worker, and each becomes a `ParseLimitError`.
 * `JsonRecordsError` and `FrontmatterError` come through as themselves.
 *
 * One file at a time; the worker starts on the first file and is reused until `close()`.
 *
 * @example
 * const chunker = new IsolatedChunker();
 * try { const chunks = await chunker.chunk(source, { chunk: config.chunk, jsonFields: config.jsonFields }); }
 * finally { await chunker.close(); }
 */
export class IsolatedChunker implements Chunker {
  private readonly deadline: ParseDeadline;
  private readonly options: IsolatedChunkerOptions;
  private worker: { thread: Worker; ready: Promise<void> } | undefined;
  private nextId = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: IsolatedChunkerOptions = {}) {
    this.options = options;
    this.deadline = options.deadline ?? DEFAULT_PARSE_DEADLINE;
  }

  /** The deadline of a file of `chars` UTF-16 code units, ms. */
  deadlineMs(chars: number): number {
    return Math.round(this.deadline.baseMs + (this.deadline.perKiBMs * chars) / 1024);
  }

  /** Starts the worker now rather than on the first file (its start-up is not part of any deadline). */
  async start(): Promise<void> {
    const w = this.spawn();
    w.thread.ref();
    try {
      await w.ready;
    } finally {
      w.thread.unref();
    }
  }

  chunk(source: SourceFile, options: ChunkSourceOptions): Promise<Chunk[]> {
    const run = this.queue.then(() => this.run(source, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.thread.terminate();
  }

  private spawn(): { thread: Worker; ready: Promise<void> } {
    if (this.worker) return this.worker;
    const entry = new URL(import.meta.url.endsWith('.ts') ? './chunk-worker.ts' : './chunk-worker.js', import.meta.url).href;
    const thread = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { entry, loader: this.options.loader },
      resourceLimits: { maxOldGenerationSizeMb: this.options.maxHeapMb ?? 1024, stackSizeMb: this.options.stackMb ?? 16 },
      stdout: false,
      stderr: false,
    });
    // Idle, the worker does not keep the process alive; a job or a start-up refs it.
    thread.unref();
    const ready = new Promise<void>((resolve, reject) => {
      const onMessage = (m: Reply) => {
        if ('ready' in m) resolve();
        else if ('error' in m && m.id === -1) reject(new Error(`The parser worker did not start: ${m.error.message}`));
        else return;
        thread.off('message', onMessage);
        thread.off('error', reject);
      };
      thread.on('message', onMessage);
      thread.once('error', reject);
    });
    ready.catch(() => undefined);
    const w = { thread, ready };
    this.worker = w;
    const forget = () => {
      if (this.worker === w) this.worker = undefined;
    };
    // A worker that fails while idle is replaced on the next file; the error must not go unhandled.
    thread.on('error', forget);
    thread.once('exit', forget);
    return w;
  }

  private async run(source: SourceFile, options: ChunkSourceOptions): Promise<Chunk[]> {
    const w = this.spawn();
    w.thread.ref();
    try {
      await w.ready;
      return await this.send(w, source, options);
    } finally {
      w.thread.unref();
    }
  }

  private send(w: { thread: Worker }, source: SourceFile, options: ChunkSourceOptions): Promise<Chunk[]> {
    const id = this.nextId++;
    const ms = this.deadlineMs(source.text.length);
    return new Promise<Chunk[]>((resolve, reject) => {
      const done = (error?: Error, chunks?: Chunk[]) => {
        clearTimeout(timer);
        w.thread.off('message', onMessage);
        w.thread.off('error', onError);
        w.thread.off('exit', onExit);
        if (error) reject(error);
        else resolve(chunks ?? []);
      };
      const onMessage = (m: Reply) => {
        if (!('id' in m) || m.id !== id) return;
        if ('chunks' in m) done(undefined, m.chunks);
        else done(rebuild(source.file, m.error));
      };
      const onError = (error: Error & { code?: string }) => {
        const memory = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
        done(
          memory
            ? new ParseLimitError(source.file, 'memory', `parsing it needed more than ${this.options.maxHeapMb ?? 1024} MB of memory; split the file`)
            : new Error(`the parser failed: ${error.message}`, { cause: error }),
        );
      };
      const onExit = () => done(new Error('the parser worker exited before it answered'));
      const timer = setTimeout(() => {
        done(
          new ParseLimitError(
            source.file,
            'time',
            `parsing it took longer than ${(ms / 1000).toFixed(1)} s, so it was stopped; the file has a shape the markdown parser handles slowly ` +
              '(thousands of nested list or quote markers, long runs of unclosed brackets or emphasis marks); split or simplify it',
          ),
        );
        if (this.worker === w) this.worker = undefined;
        void w.thread.terminate();
      }, ms);
      w.thread.on('message', onMessage);
      w.thread.once('error', onError);
      w.thread.once('exit', onExit);
      const job: ChunkJob = { id, source, options };
      w.thread.postMessage(job);
    });
  }
}

/** The error a worker reported, as the class the pipeline and its callers know. */
function rebuild(file: string, e: { kind: string; message: string }): Error {
  if (e.kind === 'JsonRecordsError') return new JsonRecordsError(e.message);
  if (e.kind === 'FrontmatterError') return new FrontmatterError(e.message);
  if (e.kind === 'RangeError' && /call stack/i.test(e.message)) {
    return new ParseLimitError(file, 'depth', 'it is nested too deeply to parse (lists or quotes inside one another thousands of times); flatten it');
  }
  return new Error(e.message);
}

/** `chunkSource` in this thread: no deadline. For TypeScript sources run without a loader (tests). */
export class InProcessChunker implements Chunker {
  async chunk(source: SourceFile, options: ChunkSourceOptions): Promise<Chunk[]> {
    // The parsers (unified, remark, micromark) load only when a file changed: half a second saved on an unchanged corpus.
    const { chunkSource } = await import('./chunk-source.js');
    return chunkSource(source, options);
  }

  async close(): Promise<void> {}
}

/**
 * The chunker ingestion uses by default: isolated in a worker when qbank runs compiled (the
 * CLI, `qbank serve`); in-process when it runs from TypeScript sources, where a worker cannot
 * load the parser without a loader (tests pass an `IsolatedChunker` with one to test it).
 */
export function defaultChunker(): Chunker {
  return import.meta.url.endsWith('.ts') ? new InProcessChunker() : new IsolatedChunker();
}
