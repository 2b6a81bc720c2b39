import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { loadConfig, type Config, type ConfigFlags } from '../src/config.js';
import { InvalidInputError } from '../src/errors.js';
import { packageRoot } from '../src/util/package-root.js';
import { COMMON_FLAGS, intFlag, listFlag, parseFlags } from '../src/cli/args.js';
import { DEFAULT_CHUNK_OPTIONS, type ChunkOptions } from '../ingest/chunk.js';
import { createJudgeModel, judgeSettings } from './judge-model.js';
import { PEERS, runPeer, type PeerName } from './peer.js';
import { createProgress } from './progress.js';
import { renderHtml } from './report-html.js';
import { formatReport } from './report-text.js';
import type { EvalReport } from './report.js';
import { runEval, type EvalOptions } from './run.js';
import { assertStoreReachable, parseStoreKinds } from './stores.js';

export const EVAL_HELP = `qbank eval — how well retrieval and answers work, and which configuration is best

Usage:
  qbank eval [--dataset dev,auto|PATH] [--k 1,3,5,10] [--rrf-k 10,30,60,100]
             [--chunks 600/150/250,2400/400/800] [--no-baseline] [--no-variants] [--no-answers]
             [--judge-model M] [--judge-limit 25] [--limit N] [--out DIR] [--json] [--quiet]
             [--stores sqlite,qdrant]
  qbank eval --peer anthropic-docs|anthropic-codebase [--peer-dir DIR]

  --dataset      datasets: dev (hand-labelled), auto (built from the bank), or JSONL paths
  --chunks       chunk variants maxChars/minChars/listGroupChars, each in a temporary index
  --no-variants  skip the RRF-k and chunking variants
  --judge-model  LLM judge for RAGAS's LLM metrics (QBANK_JUDGE_MODEL; server OPENAI_BASE_URL,
                 key OPENAI_API_KEY); --judge-limit answers judged per answerer (default 25)
  --out          where report.json and report.html go (default ./artifacts/eval)
  --stores       run the four search modes on each store, ingested first (Qdrant from QDRANT_URL),
                 and report each store's metrics and latency and the differences from the first
  --peer         a peer benchmark from the anthropic cookbook, in its own index
  --peer-dir     the peer corpora (default ../shared/peer relative to the repository root)
`;

/** Default chunking variants: half and double the default answer size. */
const DEFAULT_VARIANTS: ChunkOptions[] = [
  { maxChars: 600, minChars: 150, listGroupChars: 250 },
  { maxChars: 2400, minChars: 400, listGroupChars: 800 },
];

function numbers(value: string | undefined, name: string, min: number, max: number, fallback: number[]): number[] {
  const list = listFlag(value);
  if (!list) return fallback;
  return list.map((v) => intFlag(v, name, min, max, 0));
}

function chunkVariants(value: string | undefined): ChunkOptions[] {
  const list = listFlag(value);
  if (!list) return DEFAULT_VARIANTS;
  return list.map((v) => {
    const [maxChars, minChars, listGroupChars] = v.split('/').map(Number);
    const c = { maxChars: maxChars ?? NaN, minChars: minChars ?? DEFAULT_CHUNK_OPTIONS.minChars, listGroupChars: listGroupChars ?? DEFAULT_CHUNK_OPTIONS.listGroupChars };
    if (!Number.isInteger(c.maxChars) || c.maxChars < 300 || c.maxChars > 4000 || !Number.isInteger(c.minChars) || !Number.isInteger(c.listGroupChars)) {
      throw new InvalidInputError(`--chunks takes maxChars/minChars/listGroupChars (maxChars 300–4000), not "${v}".`, 'chunks');
    }
    return c;
  });
}

/** `qbank eval`: runs the comparison, prints the table, writes report.json and report.html. */
export async function evalCommand(argv: string[], io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream }): Promise<number> {
  const { values } = parseFlags(argv, {
    ...COMMON_FLAGS,
    dataset: { type: 'string' },
    k: { type: 'string' },
    'rrf-k': { type: 'string' },
    chunks: { type: 'string' },
    'no-baseline': { type: 'boolean' },
    'no-variants': { type: 'boolean' },
    'no-answers': { type: 'boolean' },
    'judge-model': { type: 'string' },
    'judge-limit': { type: 'string' },
    limit: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
    peer: { type: 'string' },
    'peer-dir': { type: 'string' },
    stores: { type: 'string' },
  });
  if (values.help) {
    io.out.write(EVAL_HELP);
    return 0;
  }
  const flags: ConfigFlags = {};
  if (values.corpus) flags.corpus = values.corpus;
  if (values['data-dir']) flags.dataDir = values['data-dir'];
  if (values.store) flags.store = values.store;
  if (values.embedder) flags.embedder = values.embedder;
  const config = loadConfig(flags);
  const storeKinds = listFlag(values.stores);
  let stores: Config['store'][] | undefined;
  if (storeKinds) {
    if (values.peer) throw new InvalidInputError('--stores compares the stores on qbank\'s own datasets; run --peer without it.', 'stores');
    if (values.store) throw new InvalidInputError('--store and --stores do not go together: --stores names every store to use.', 'stores');
    stores = parseStoreKinds(storeKinds).map((kind) => loadConfig({ ...flags, store: kind }).store);
    for (const s of stores) await assertStoreReachable(s);
  }
  const progressStream = values.quiet ? undefined : io.err;
  const progress = createProgress(progressStream);
  const root = packageRoot();
  const outDir = resolve(values.out ?? join(process.cwd(), 'artifacts', 'eval'));

  let report: EvalReport;
  if (values.peer) {
    if (!PEERS.includes(values.peer as PeerName)) throw new InvalidInputError(`--peer must be one of ${PEERS.join(', ')}, not "${values.peer}".`, 'peer');
    const peerDir = values['peer-dir'] ? resolve(values['peer-dir']) : resolve(root, '..', 'shared', 'peer');
    const peer = await runPeer(values.peer as PeerName, config, peerDir, join(config.dataDir, 'peer', values.peer), progress, progressStream);
    report = {
      createdAt: new Date().toISOString(),
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
      models: { embedder: config.embedder.kind === 'local' ? `transformers:${config.embedder.model}:${config.embedder.dtype}` : config.embedder.model, reranker: config.reranker.kind },
      metricVersions: [],
      datasets: [],
      retrieval: [],
      answers: [],
      worst: [],
      best: {},
      peers: [peer],
      notes: [],
    };
  } else {
    const datasets = (listFlag(values.dataset) ?? ['dev', 'auto']).map((d) =>
      d === 'dev' || d === 'auto' ? { name: d, path: join(root, 'eval', 'datasets', `${d}.jsonl`) } : { name: d.replace(/^.*\//, '').replace(/\.jsonl$/, ''), path: isAbsolute(d) ? d : resolve(d) },
    );
    const settings = judgeSettings({ model: values['judge-model'], limit: values['judge-limit'] ? intFlag(values['judge-limit'], 'judge-limit', 1, 1000, 25) : undefined });
    const options: EvalOptions = {
      datasets,
      ks: numbers(values.k, 'k', 1, 50, [1, 3, 5, 10]),
      rrfKs: values['no-variants'] ? [] : numbers(values['rrf-k'], 'rrf-k', 1, 1000, [10, 30, 60, 100]),
      chunkVariants: values['no-variants'] ? [] : chunkVariants(values.chunks),
      baseline: !values['no-baseline'],
      answers: !values['no-answers'],
    };
    if (!options.ks.includes(5)) options.ks.push(5);
    if (!options.ks.includes(1)) options.ks.unshift(1);
    if (values.limit) options.limit = intFlag(values.limit, 'limit', 1, 100_000, 0);
    if (stores) options.stores = stores;
    if (settings) options.judge = { model: await createJudgeModel(settings), name: `${settings.model}${settings.baseURL ? ` @ ${settings.baseURL}` : ''}`, limit: settings.limit };
    report = await runEval(config, options, progress, progressStream);
  }
  mkdirSync(outDir, { recursive: true });
  const jsonPath = join(outDir, values.peer ? `peer-${values.peer}.json` : 'report.json');
  const htmlPath = join(outDir, values.peer ? `peer-${values.peer}.html` : 'report.html');
  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(htmlPath, renderHtml(report));
  io.out.write(values.json ? `${JSON.stringify(report)}\n` : formatReport(report));
  if (!values.json) io.out.write(`\nWrote ${jsonPath} and ${htmlPath}\n`);
  return 0;
}
