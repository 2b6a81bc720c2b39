import { SingleBar, Presets } from 'cli-progress';
import { loadConfig, type Config, type ConfigFlags } from '../config.js';
import { commitRebuild, createApiRuntime, createAskService, createCachedEmbedder, createSearcher, openStore } from '../compose.js';
import { IndexMismatchError, QbankError } from '../errors.js';
import type { Answer, AnswerRequest } from '../ports/answerer.js';
import { socketAddress, startServer } from '../api/server.js';
import { streamLog } from '../api/server-log.js';
import { CorpusFiles } from '../corpus/file-text.js';
import { searchJson } from '../search/search-json.js';
import type { SearchFilter } from '../ports/store.js';
import { SEARCH_MODES, type SearchMode, type SearchResponse } from '../search/searcher.js';
import { ingestCorpus, type IngestProgress, type IngestReport } from '../../ingest/pipeline.js';
import { COMMON_FLAGS, intFlag, listFlag, parseFlags } from './args.js';

/** Exit codes: 0 done, 1 failed, 2 bad usage, 3 done but some corpus files were skipped. */
export const EXIT = { ok: 0, failed: 1, usage: 2, skipped: 3 } as const;

const HELP = `qbank — study assistant over a bank of LLM interview questions

Usage:
  qbank ingest [--rebuild] [--quiet]          build or refresh the index of corpus/
  qbank search "<query>" [--k 5] [--json]     best passages with source, scores and snippet
         [--mode bm25|dense|hybrid|rerank] [--file F] [--section S] [--difficulty D] [--lang L]
  qbank ask "<question>" [--json] [--answerer extractive|llm] [--k 5]
         [--file F] [--section S] [--difficulty D] [--lang L]
                                              an answer with numbered, quoted citations
  qbank serve [--port 8787] [--host 127.0.0.1] [--no-ingest]
                                              refresh the index, then serve the study page,
                                              the widget and the HTTP API (docs at /docs)
  qbank quiz [--category C] [--difficulty D] [--lang L] [--role R] [--with-answer]
                                              drill questions of the bank: answer, get a score,
                                              the points you covered and missed, the model answer
                                              (qbank quiz --help)
  qbank eval [--dataset dev,auto] [--no-baseline] [--no-variants] [--out DIR]
  qbank eval --peer anthropic-docs|anthropic-codebase [--peer-dir DIR]
                                              retrieval and answer quality of every configuration,
                                              as a table, report.json and report.html (qbank eval --help)
  qbank help

Common flags:
  --corpus DIR      documents to index (QBANK_CORPUS; default: the package's corpus/)
  --data-dir DIR    index and embedding cache (QBANK_DATA_DIR; default: ./.qbank)
  --store KIND      sqlite | qdrant (QBANK_STORE)
  --embedder KIND   local | openai (QBANK_EMBEDDER)
`;

/** The search filters, shared by `search` and `ask`. */
const FILTER_FLAGS = {
  file: { type: 'string' },
  section: { type: 'string' },
  difficulty: { type: 'string' },
  lang: { type: 'string' },
} as const;

export async function main(argv: string[], io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream } = { out: process.stdout, err: process.stderr }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'ingest':
        return await ingestCommand(rest, io);
      case 'search':
        return await searchCommand(rest, io);
      case 'ask':
        return await askCommand(rest, io);
      case 'serve':
        return await serveCommand(rest, io);
      case 'quiz':
        return await (await import('./quiz.js')).quizCommand(rest, io);
      case 'eval':
        // The harness and its LangChain baseline load only for this command.
        return await (await import('../../eval/cli.js')).evalCommand(rest, io);
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
  const { values } = parseFlags(argv, { ...COMMON_FLAGS, rebuild: { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' } });
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
    if (options.rebuild) await commitRebuild(config, store);
    else await store.close();
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
    ...COMMON_FLAGS,
    k: { type: 'string' },
    json: { type: 'boolean' },
    mode: { type: 'string' },
    ...FILTER_FLAGS,
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
  const filter = filterFlags(values) ?? {};

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
export { searchJson };

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

function filterFlags(values: { file?: string | undefined; section?: string | undefined; difficulty?: string | undefined; lang?: string | undefined }): SearchFilter | undefined {
  const filter: SearchFilter = {};
  const files = listFlag(values.file);
  const difficulty = listFlag(values.difficulty);
  const lang = listFlag(values.lang);
  if (files) filter.file = files;
  if (values.section) filter.section = values.section;
  if (difficulty) filter.difficulty = difficulty;
  if (lang) filter.lang = lang;
  return Object.keys(filter).length > 0 ? filter : undefined;
}

async function askCommand(argv: string[], io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream }): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    ...COMMON_FLAGS,
    k: { type: 'string' },
    json: { type: 'boolean' },
    answerer: { type: 'string' },
    ...FILTER_FLAGS,
  });
  if (values.help) {
    io.out.write(HELP);
    return EXIT.ok;
  }
  const question = positionals.join(' ');
  if (!question.trim()) {
    io.err.write('qbank ask: give a question, e.g. qbank ask "explain GQA vs MQA"\n');
    return EXIT.usage;
  }
  const answerer = values.answerer ?? 'extractive';
  if (answerer !== 'extractive' && answerer !== 'llm') {
    io.err.write('qbank ask: --answerer must be extractive or llm.\n');
    return EXIT.usage;
  }
  const request: AnswerRequest = { question, k: intFlag(values.k, 'k', 1, 20, 5), answerer };
  const filter = filterFlags(values);
  if (filter) request.filter = filter;

  const config = configFrom(values);
  const embedder = createCachedEmbedder(config);
  const store = await openStore(config, embedder, { readonly: true });
  try {
    const corpus = new CorpusFiles(config.corpusDir);
    const ask = createAskService(config, createSearcher(config, store, embedder), embedder, corpus);
    if (values.json) {
      io.out.write(`${JSON.stringify(await ask.ask(request))}\n`);
      return EXIT.ok;
    }
    let answer: Answer | undefined;
    let streamed = '';
    for await (const event of ask.stream(request)) {
      if (event.type === 'delta') {
        io.out.write(event.text);
        streamed += event.text;
      } else if (event.type === 'done') answer = event.answer;
      else if (event.type === 'error') throw new QbankError(event.code, event.message);
    }
    if (!answer) throw new QbankError('answer_failed', 'The answer ended before it was complete.');
    io.out.write(`${streamed ? '' : answer.answer}${(streamed || answer.answer).endsWith('\n') ? '' : '\n'}${formatAnswerSources(answer)}`);
    return EXIT.ok;
  } finally {
    await store.close();
    await embedder.close?.();
  }
}

/** The numbered sources, follow-ups and related questions printed under an answer. */
export function formatAnswerSources(a: Answer): string {
  const out: string[] = [];
  if (a.citations.length > 0) {
    out.push('Sources:');
    for (const c of a.citations) {
      const where = [c.source.file, c.source.section.join(' › ')].filter(Boolean).join(' — ');
      out.push(`  [${c.n}] "${snippet(c.quote, 160)}"`);
      out.push(`      ${where} [${c.source.start}–${c.source.end}]${c.verified ? '' : ' (not verified)'}`);
    }
  }
  if (a.followUps.length > 0) out.push('', 'Follow-up questions:', ...a.followUps.map((q) => `  - ${q}`));
  if (a.related.length > 0) out.push('', a.abstained ? 'Nearest questions the bank covers:' : 'Related questions:', ...a.related.map((r) => `  - ${r.title}`));
  if (a.fallback) out.push('', `(The language model failed: ${a.fallback.reason}; this is the extractive answer.)`);
  return out.length > 0 ? `\n${out.join('\n')}\n` : '';
}

async function serveCommand(argv: string[], io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream }): Promise<number> {
  const { values } = parseFlags(argv, { ...COMMON_FLAGS, port: { type: 'string' }, host: { type: 'string' }, 'no-ingest': { type: 'boolean' } });
  if (values.help) {
    io.out.write(HELP);
    return EXIT.ok;
  }
  const flags: ConfigFlags = {};
  if (values.corpus) flags.corpus = values.corpus;
  if (values['data-dir']) flags.dataDir = values['data-dir'];
  if (values.store) flags.store = values.store;
  if (values.embedder) flags.embedder = values.embedder;
  if (values.port !== undefined) flags.port = intFlag(values.port, 'port', 0, 65535, 8787);
  if (values.host) flags.host = values.host;
  const config = loadConfig(flags);

  if (!values['no-ingest']) await ensureIndex(config, io.err);
  const runtime = await createApiRuntime(config, {
    clientAddress: socketAddress,
    log: streamLog(io.err),
  });
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(runtime.app, config.server);
  } catch (error) {
    await runtime.close();
    throw error;
  }
  io.err.write(`qbank is serving on ${server.url} — study page ${server.url}/, API docs ${server.url}/docs (Ctrl+C stops)\n`);
  if (config.server.host !== '127.0.0.1' && config.server.host !== 'localhost' && config.server.host !== '::1' && !config.server.apiKey) {
    io.err.write(`warning: listening on ${config.server.host} without an API key; set QBANK_API_KEY to require one.\n`);
  }
  runtime.warmUp().then(
    () => io.err.write('Ready: the index is open and the embedding model is loaded.\n'),
    (error: unknown) => io.err.write(`qbank: the embedding model could not be loaded; /readyz stays 503: ${(error as Error).message}\n`),
  );

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  io.err.write(`${signal}: finishing requests in flight, then stopping.\n`);
  await server.close();
  await runtime.close();
  return EXIT.ok;
}

/** Builds the index on a fresh machine, refreshes it when the corpus changed, rebuilds it for another embedder. */
async function ensureIndex(config: Config, err: NodeJS.WritableStream): Promise<void> {
  try {
    err.write(formatIngestReport(await runIngest(config, { rebuild: false, progress: err })));
  } catch (error) {
    if (!(error instanceof IndexMismatchError)) throw error;
    err.write(`${error.message}\nRebuilding the index for the configured embedder.\n`);
    err.write(formatIngestReport(await runIngest(config, { rebuild: true, progress: err })));
  }
}
