import { SingleBar, Presets } from 'cli-progress';
import { loadConfig, type Config, type ConfigFlags } from '../config.js';
import { commitRebuild, createCachedEmbedder, createSearcher, openStore } from '../compose.js';
import { QbankError } from '../errors.js';
import type { SearchFilter } from '../ports/store.js';
import { SEARCH_MODES, type SearchMode, type SearchResponse } from '../search/searcher.js';
import { ingestCorpus, type IngestProgress, type IngestReport } from '../../ingest/pipeline.js';
import { intFlag, listFlag, parseFlags } from './args.js';

/** Exit codes: 0 done, 1 failed, 2 bad usage, 3 done but some corpus files were skipped. */
export const EXIT = { ok: 0, failed: 1, usage: 2, skipped: 3 } as const;

const HELP = `qbank — study assistant over a bank of LLM interview questions

Usage:
  qbank ingest [--rebuild] [--quiet]          build or refresh the index of corpus/
  qbank search "<query>" [--k 5] [--json]     best passages with source, scores and snippet
         [--mode bm25|dense|hybrid|rerank] [--file F] [--section S] [--difficulty D] [--lang L]
  qbank help

Common flags:
  --corpus DIR      documents to index (QBANK_CORPUS; default: the package's corpus/)
  --data-dir DIR    index and embedding cache (QBANK_DATA_DIR; default: ./.qbank)
  --store KIND      sqlite | qdrant (QBANK_STORE)
  --embedder KIND   local | openai (QBANK_EMBEDDER)
`;

const COMMON = {
  corpus: { type: 'string' },
  'data-dir': { type: 'string' },
  store: { type: 'string' },
  embedder: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function main(argv: string[], io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream } = { out: process.stdout, err: process.stderr }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'ingest':
        return await ingestCommand(rest, io);
      case 'search':
        return await searchCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out.write(HELP);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        io.err.write(`qbank: unknown command "${command}".\n\n${HELP}`);
        return EXIT.usage;
    }
  } catch (error) {
    if (error instanceof QbankError) {
      io.err.write(`qbank: ${error.message}\n`);
      return error.code === 'invalid_input' || error.code === 'config_error' ? EXIT.usage : EXIT.failed;
    }
    io.err.write(`qbank: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.failed;
  }
}

function configFrom(values: { corpus?: string | undefined; 'data-dir'?: string | undefined; store?: string | undefined; embedder?: string | undefined }): Config {
  const flags: ConfigFlags = {};
  if (values.corpus) flags.corpus = values.corpus;
  if (values['data-dir']) flags.dataDir = values['data-dir'];
  if (values.store) flags.store = values.store;
  if (values.embedder) flags.embedder = values.embedder;
  return loadConfig(flags);
}

async function ingestCommand(argv: string[], io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream }): Promise<number> {
  const { values } = parseFlags(argv, { ...COMMON, rebuild: { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' } });
  if (values.help) {
    io.out.write(HELP);
    return EXIT.ok;
  }
  const config = configFrom(values);
  const report = await runIngest(config, { rebuild: values.rebuild ?? false, progress: values.quiet ? undefined : io.err });
  io.out.write(formatIngestReport(report));
  return report.files.some((f) => f.status === 'skipped') ? EXIT.skipped : EXIT.ok;
}

/** Ingests the configured corpus, with a progress bar on `progress` when given. */
export async function runIngest(config: Config, options: { rebuild: boolean; progress?: NodeJS.WritableStream | undefined }): Promise<IngestReport> {
  const embedder = createCachedEmbedder(config);
  const store = await openStore(config, embedder, { rebuild: options.rebuild });
  const progress = options.progress ? progressReporter(options.progress) : undefined;
  try {
    const deps: Parameters<typeof ingestCorpus>[0] = { store, embedder, embeddedCount: () => embedder.stats.embedded };
    if (progress) deps.onProgress = progress.update;
    const report = await ingestCorpus(deps, { corpusDir: config.corpusDir, chunk: config.chunk, jsonFields: config.jsonFields });
    await store.close();
    if (options.rebuild) commitRebuild(config);
    return report;
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  } finally {
    progress?.stop();
    await embedder.close?.();
  }
}

function progressReporter(stream: NodeJS.WritableStream): { update: (e: IngestProgress) => void; stop: () => void } {
  const tty = (stream as NodeJS.WriteStream).isTTY === true;
  let bar: SingleBar | undefined;
  let lastPercent = -1;
  return {
    update(e) {
      if (e.phase === 'scan') stream.write(`Scanning corpus: ${e.files} files\n`);
      else if (e.phase === 'chunk' && e.status !== 'unchanged') stream.write(`  ${e.status.padEnd(8)} ${e.file}\n`);
      else if (e.phase === 'embed' && e.total > 0) {
        if (tty) {
          bar ??= new SingleBar({ format: 'Embedding [{bar}] {value}/{total} chunks | {eta}s left', stream, hideCursor: true }, Presets.shades_classic);
          if (e.done === 0) bar.start(e.total, 0);
          else bar.update(e.done);
        } else {
          const percent = Math.floor((e.done / e.total) * 10) * 10;
          if (percent !== lastPercent) stream.write(`Embedding: ${e.done}/${e.total} chunks (${percent}%)\n`);
          lastPercent = percent;
        }
      } else if (e.phase === 'write') {
        bar?.stop();
        bar = undefined;
        stream.write(`Writing ${e.chunks} chunks in one transaction\n`);
      }
    },
    stop() {
      bar?.stop();
    },
  };
}

export function formatIngestReport(r: IngestReport): string {
  const count = (s: string) => r.files.filter((f) => f.status === s).length;
  const lines: string[] = [];
  for (const f of r.files.filter((f) => f.status === 'skipped')) lines.push(`skipped ${f.file}: ${f.reason ?? 'unknown reason'}`);
  if (!r.changed) {
    lines.push(`Index is up to date: ${r.fileCount} files, ${r.chunkCount} chunks. Nothing was embedded or written (${(r.durationMs / 1000).toFixed(2)} s).`);
  } else {
    lines.push(
      `Indexed ${r.fileCount} files, ${r.chunkCount} chunks: ${count('added')} added, ${count('changed')} changed, ${count('removed')} removed, ${count('unchanged')} unchanged; ` +
        `${r.embeddedChunks} chunks embedded, ${r.writtenChunks} written (${(r.durationMs / 1000).toFixed(2)} s).`,
    );
  }
  if (count('skipped') > 0) lines.push(`${count('skipped')} file(s) skipped; their previous chunks, if any, were kept.`);
  return `${lines.join('\n')}\n`;
}

async function searchCommand(argv: string[], io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream }): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    ...COMMON,
    k: { type: 'string' },
    json: { type: 'boolean' },
    mode: { type: 'string' },
    file: { type: 'string' },
    section: { type: 'string' },
    difficulty: { type: 'string' },
    lang: { type: 'string' },
  });
  if (values.help) {
    io.out.write(HELP);
    return EXIT.ok;
  }
  const query = positionals.join(' ');
  if (!query.trim()) {
    io.err.write('qbank search: give a query, e.g. qbank search "explain GQA vs MQA"\n');
    return EXIT.usage;
  }
  const k = intFlag(values.k, 'k', 1, 100, 5);
  const mode = (values.mode ?? 'rerank') as SearchMode;
  if (!SEARCH_MODES.includes(mode)) {
    io.err.write(`qbank search: --mode must be one of ${SEARCH_MODES.join(', ')}.\n`);
    return EXIT.usage;
  }
  const filter: SearchFilter = {};
  const files = listFlag(values.file);
  const difficulty = listFlag(values.difficulty);
  const lang = listFlag(values.lang);
  if (files) filter.file = files;
  if (values.section) filter.section = values.section;
  if (difficulty) filter.difficulty = difficulty;
  if (lang) filter.lang = lang;

  const config = configFrom(values);
  const embedder = createCachedEmbedder(config);
  const store = await openStore(config, embedder, { readonly: true });
  try {
    const searcher = createSearcher(config, store, embedder);
    const response = await searcher.search({ query, k, filter, mode });
    io.out.write(values.json ? `${JSON.stringify(searchJson(response))}\n` : formatSearch(response));
    return EXIT.ok;
  } finally {
    await store.close();
    await embedder.close?.();
  }
}

/** The JSON body shared by `qbank search --json` and `POST /v1/search`. */
export function searchJson(r: SearchResponse): Omit<SearchResponse, 'timings'> & { timings: SearchResponse['timings'] } {
  return { query: r.query, lang: r.lang, ...(r.translated ? { translated: r.translated } : {}), abstained: r.abstained, results: r.results, timings: r.timings };
}

export function formatSearch(r: SearchResponse): string {
  const out: string[] = [];
  if (r.translated) out.push(`(German query, searched in English as: ${r.translated})`);
  if (r.abstained) out.push('The question bank does not seem to cover this; the nearest passages are:');
  if (r.results.length === 0) out.push('No passages found.');
  r.results.forEach((res, i) => {
    const s = res.scores;
    const parts = [s.bm25 !== undefined ? `bm25 ${s.bm25.toFixed(2)}` : '', s.dense !== undefined ? `dense ${s.dense.toFixed(3)}` : '', s.fused !== undefined ? `fused ${s.fused.toFixed(4)}` : '', s.rerank !== undefined ? `rerank ${s.rerank.toFixed(3)}` : '']
      .filter(Boolean)
      .join(', ');
    const where = [res.source.file, res.source.section.join(' › ')].filter(Boolean).join(' — ');
    const meta = [res.meta.difficulty, res.meta.roles?.join(', ')].filter(Boolean).join(' | ');
    out.push(`${i + 1}. ${res.source.title ?? '(untitled)'}`);
    out.push(`   ${where} [${res.source.start}–${res.source.end}]${meta ? ` (${meta})` : ''}`);
    out.push(`   score ${res.score.toFixed(3)} (${parts})`);
    out.push(`   ${snippet(res.text)}`);
    if (res.duplicates?.length) out.push(`   also in: ${res.duplicates.length} near-identical passage(s)`);
  });
  out.push(`(${r.timings.totalMs.toFixed(1)} ms)`);
  return `${out.join('\n')}\n`;
}

function snippet(text: string, max = 220): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).replace(/\s+\S*$/, '')}…`;
}
