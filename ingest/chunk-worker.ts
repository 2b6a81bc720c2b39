/**
 * Worker-thread entry of `IsolatedChunker`: parses and chunks one source file per message.
 * Replies `{ id, chunks }`, or `{ id, error: { kind, message } }` where `kind` is the thrown
 * error's class name (classes do not survive the trip between threads).
 */
import { parentPort } from 'node:worker_threads';
import { chunkSource, type ChunkSourceOptions } from './chunk-source.js';
import type { SourceFile } from './source-files.js';

export interface ChunkJob {
  id: number;
  source: SourceFile;
  options: ChunkSourceOptions;
}

const port = parentPort;
if (!port) throw new Error('ingest/chunk-worker.js runs only as a worker thread (see IsolatedChunker).');
port.on('message', (job: ChunkJob) => {
  try {
    port.postMessage({ id: job.id, chunks: chunkSource(job.source, job.options) });
  } catch (error) {
    const kind = error instanceof Error ? error.constructor.name : typeof error;
    port.postMessage({ id: job.id, error: { kind, message: error instanceof Error ? error.message : String(error) } });
  }
});
port.postMessage({ ready: true });
