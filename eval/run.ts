import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { Config } from '../src/config.js';
import { createAskService, createEmbedder, createReranker, createSearcher, openStore } from '../src/compose.js';
import { CachedEmbedder } from '../src/embed/cached-embedder.js';
import { EmbeddingCache } from '../src/embed/cache.js';
import { CorpusFiles } from '../src/corpus/file-text.js';
import type { Answer } from '../src/ports/answerer.js';
import type { Store } from '../src/ports/store.js';
import { SEARCH_MODES } from '../src/search/searcher.js';
import { runIngest } from '../src/cli/main.js';
import type { ChunkOptions } from '../ingest/chunk.js';
import { loadDataset, type EvalItem } from './dataset.js';
import { resolveGold, type ResolvedGold } from './gold.js';
import { abstention } from './metrics-abstain.js';
import { answerCorrectnessNonLlm, answerRelevancyNonLlm, citationValidity, faithfulnessNonLlm } from './metrics-answer.js';
import { contextPrecisionAtK, nonLlmContextRecall } from './metrics-context.js';
import { JudgeOutputError, LlmJudge } from './metrics-judge.js';
import { bleu, rougeL, stringSimilarity } from './metrics-text.js';
import { hitAtK, mrrAtK, ndcgAtK, precisionAtK, recallAtK, type Retrieved } from './metrics.js';
import type { Progress } from './progress.js';
import { latencyFigures, nanMean, overallScore, type AnswerRow, type DatasetInfo, type EvalReport, type MetricVersion, type RetrievalRow, type WorstItem } from './report.js';
import { compareStores, describeStore, storeSystemName } from './stores.js';
import { baselineSystem, chunkingVariant, MODE_NAMES, qbankSystem, type RetrievalSystem } from './systems.js';

/**
 * What one `qbank eval` run compares.
 *
 * @example
 * await runEval(config, { datasets: [{ name: 'dev', path: 'eval/datasets/dev.jsonl' }], ks: [1, 3, 5, 10], rrfKs: [20, 60], chunkVariants: [], baseline: true, answers: true }, progress)
 */
export interface EvalOptions {
  datasets: { name: string; path: string }[];
  /** Cut-offs for Hit/Recall/Precision/MRR. Each 1–50; default 1, 3, 5, 10. */
  ks: number[];
  /** RRF k values to compare (with reranking). Default 10, 30, 60, 100. */
  rrfKs: number[];
  /** Other chunk options to compare, each in its own temporary index. */
  chunkVariants: ChunkOptions[];
  /** Run the LangChain baseline. */
  baseline: boolean;
  /** Answer the answer-metric dataset(s) with the extractive answerer (and the LLM when configured). */
  answers: boolean;
  /** Datasets answered (answers are slower than retrieval). Default: dev only. */
  answerDatasets?: string[];
  /** A judge model for the LLM-judged metrics, and how many answerable items it judges per answerer. */
  judge?: { model: BaseChatModel; name: string; limit: number };
  /** Only the first n items of each dataset (for quick runs). */
  limit?: number;
  /** Worst questions listed per dataset. Default 10. */
  worst?: number;
  /**
   * Stores to compare (`qbank eval --stores sqlite,qdrant`): the corpus is ingested into each and
   * the four search modes run on each, the first store being the reference for differences (and
   * the one every other configuration runs on). Default: the configuration's store alone.
   */
  stores?: Config['store'][];
}

/** Depth of every retrieval run: the largest k any metric looks at. */
const DEPTH = 10;

interface ItemRun {
  item: EvalItem;
  results: { ids: string[]; file: string; title: string; text: string }[];
  retrieved: Retrieved;
  abstained: boolean | undefined;
  ms: number;
}

export function metricVersions(ks: readonly number[], judge?: string): MetricVersion[] {
  const v: MetricVersion[] = [];
  for (const k of ks) {
    v.push({ key: `hit@${k}`, label: `Hit@${k}`, version: 'facet-aware: 1 if any gold facet is satisfied in the top k' });
    v.push({ key: `recall@${k}`, label: `Recall@${k}`, version: 'share of gold facets satisfied in the top k; equals RAGAS IDBasedContextRecall with facets as reference ids' });
    v.push({ key: `precision@${k}`, label: `P@${k}`, version: 'share of the top k that satisfy a facet (denominator k)' });
  }
  v.push({ key: 'mrr@10', label: 'MRR@10', version: '1/rank of the first result satisfying a facet, 0 beyond 10' });
  v.push({ key: 'ndcg@10', label: 'nDCG@10', version: 'binary gains, one per facet, ideal = all facets first' });
  v.push({ key: 'cp@5', label: 'CP@5', version: 'RAGAS context precision with reference, ID verdicts: Σ P@k·v_k / (Σ v_k + 1e-10), K=5' });
  v.push({ key: 'ctxRecallLev@5', label: 'CtxR-Lev@5', version: 'RAGAS NonLLMContextRecall: reference contexts = gold chunk texts of the default index; Levenshtein similarity > 0.5 in the top 5' });
  v.push({ key: 'faithfulness', label: 'Faithful', version: 'no judge: share of answer sentences whose cited quote (or the retrieved passages) covers ≥ 70% of their terms or has a sentence with cosine ≥ 0.7' });
  v.push({ key: 'answerRelevancy', label: 'AnsRel', version: 'no judge: cosine of question and answer embeddings' });
  v.push({ key: 'answerCorrectness', label: 'AnsCorr', version: 'no judge: 0.75 × sentence-level F1 (TP/FP/FN by coverage ≥ 0.7 or cosine ≥ 0.7) + 0.25 × cosine(answer, reference)' });
  v.push({ key: 'rougeL', label: 'ROUGE-L', version: 'rouge_score rougeL F, Porter stemmer (RAGAS RougeScore)' });
  v.push({ key: 'bleu', label: 'BLEU', version: 'sacreBLEU corpus_bleu, 13a, exp smoothing, whole answer vs whole reference (= RAGAS BleuScore when no ". ")' });
  v.push({ key: 'stringSimilarity', label: 'StrSim', version: 'RAGAS NonLLMStringSimilarity: 1 − Levenshtein distance / longer length' });
  v.push({ key: 'citationValidity', label: 'CiteOK', version: 'share of citations whose quote is verbatim in the file at the cited offsets' });
  if (judge) {
    v.push({ key: 'llm.faithfulness', label: 'Faithful (LLM)', version: `RAGAS Faithfulness prompts (statements, NLI verdicts), judge ${judge}` });
    v.push({ key: 'llm.answerRelevancy', label: 'AnsRel (LLM)', version: `RAGAS AnswerRelevancy, 3 generated questions, judge ${judge}, embeddings = qbank embedder` });
    v.push({ key: 'llm.answerCorrectness', label: 'AnsCorr (LLM)', version: `RAGAS AnswerCorrectness 0.75 F1 (TP/FP/FN by judge) + 0.25 similarity, judge ${judge}` });
  }
  return v;
}

function datasetInfo(name: string, path: string, items: readonly EvalItem[]): DatasetInfo {
  const kinds: Record<string, number> = {};
  for (const i of items) kinds[i.kind] = (kinds[i.kind] ?? 0) + 1;
  return { name, path, items: items.length, answerable: items.filter((i) => i.answerable).length, unanswerable: items.filter((i) => !i.answerable).length, kinds };
}

/** Retrieval metrics of one item. */
function itemMetrics(run: ItemRun, facets: readonly ReadonlySet<string>[], ks: readonly number[], referenceTexts: readonly string[]): Record<string, number> {
  const m: Record<string, number> = {};
  for (const k of ks) {
    m[`hit@${k}`] = hitAtK(run.retrieved, facets, k);
    m[`recall@${k}`] = recallAtK(run.retrieved, facets, k);
    m[`precision@${k}`] = precisionAtK(run.retrieved, facets, k);
  }
  m['mrr@10'] = mrrAtK(run.retrieved, facets, 10);
  m['ndcg@10'] = ndcgAtK(run.retrieved, facets, 10);
  m['cp@5'] = contextPrecisionAtK(run.retrieved, facets, 5);
  m['ctxRecallLev@5'] = referenceTexts.length > 0 ? nonLlmContextRecall(run.results.slice(0, 5).map((r) => r.text), referenceTexts) : Number.NaN;
  return m;
}

function meanMetrics(rows: readonly Record<string, number>[]): Record<string, number> {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(keys.map((k) => [k, nanMean(rows.map((r) => r[k] ?? Number.NaN))]));
}

async function runSystem(system: RetrievalSystem, items: readonly EvalItem[], progress: Progress, label: string): Promise<ItemRun[]> {
  await system.search('warm up the caches', DEPTH);
  progress.start(label, items.length);
  const runs: ItemRun[] = [];
  for (const item of items) {
    const t = performance.now();
    const r = await system.search(item.question, DEPTH);
    const ms = performance.now() - t;
    runs.push({ item, results: r.results, retrieved: r.results.map((x) => x.ids), abstained: r.abstained, ms });
    progress.tick();
  }
  progress.stop();
  return runs;
}

/**
 * Runs the whole comparison and returns the report: every retrieval configuration on every
 * dataset, the answerers on the answer datasets, the baseline gap, and the worst questions.
 */
export async function runEval(baseConfig: Config, options: EvalOptions, progress: Progress, progressStream?: NodeJS.WritableStream): Promise<EvalReport> {
  const notes: string[] = [];
  const storeConfigs = options.stores !== undefined && options.stores.length > 0 ? options.stores : [baseConfig.store];
  const config: Config = { ...baseConfig, store: storeConfigs[0] ?? baseConfig.store };
  for (const s of storeConfigs) {
    if (storeConfigs.length > 1) progress.log(`Indexing the corpus in the ${s.kind} store (${describeStore(s)})…`);
    await runIngest({ ...config, store: s }, { rebuild: false, progress: progressStream });
  }
  // No query-vector cache: every configuration pays for its own query embedding, so latencies compare.
  const inner = createEmbedder(config);
  const embedder = new CachedEmbedder(inner, new EmbeddingCache(join(config.dataDir, 'embed-cache.sqlite')), { queryCacheSize: 0 });
  const store = await openStore(config, embedder, { readonly: true });
  const corpus = new CorpusFiles(config.corpusDir);
  const fileText = (f: string) => corpus.text(f);
  const reranker = createReranker(config);

  const datasets = options.datasets.map((d) => {
    const items = loadDataset(d.path);
    return { ...d, items: options.limit ? items.slice(0, options.limit) : items };
  });

  const systems: RetrievalSystem[] = [];
  for (const mode of SEARCH_MODES) {
    systems.push(qbankSystem({ name: MODE_NAMES[mode], group: 'mode', description: `qbank ${mode === 'rerank' ? 'default pipeline: BM25 + dense, RRF, heuristic rerank' : mode}`, config, store, embedder, mode }));
  }
  // The same modes on every other store, right after the reference's, so both meet the same machine load.
  const otherStores: Store[] = [];
  for (const s of storeConfigs.slice(1)) {
    const other = await openStore({ ...config, store: s }, embedder, { readonly: true });
    otherStores.push(other);
    for (const mode of SEARCH_MODES) {
      systems.push(qbankSystem({ name: storeSystemName(MODE_NAMES[mode], s.kind), group: 'store', description: `qbank ${mode} on the ${s.kind} store (${describeStore(s)})`, config: { ...config, store: s }, store: other, embedder, mode }));
    }
  }
  for (const rrfK of options.rrfKs) {
    if (rrfK === config.retrieval.rrfK) continue;
    systems.push(qbankSystem({ name: `rrf k=${rrfK}`, group: 'rrf', description: `hybrid+rerank with RRF k=${rrfK} (default ${config.retrieval.rrfK})`, config: { ...config, retrieval: { ...config.retrieval, rrfK } }, store, embedder, mode: 'rerank' }));
  }
  for (const chunk of options.chunkVariants) {
    progress.log(`Building a temporary index chunked ${chunk.maxChars}/${chunk.minChars}/${chunk.listGroupChars} (shared embedding cache)…`);
    systems.push(await chunkingVariant(config, embedder, chunk, progressStream));
  }
  if (options.baseline) {
    progress.log('Building the LangChain baseline (RecursiveCharacterTextSplitter + MemoryVectorStore + BM25Retriever + EnsembleRetriever)…');
    systems.push(await baselineSystem(config.corpusDir, embedder));
  }

  const defaultChunks = await systems[SEARCH_MODES.indexOf('rerank')]?.chunksByFile();
  const retrieval: RetrievalRow[] = [];
  const worst: WorstItem[] = [];
  const best: Record<string, string> = {};
  const baselineGaps: NonNullable<EvalReport['baseline']> = [];
  /** Top-10 result ids per question, by dataset and system, for the store comparison. */
  const top10 = new Map<string, string[][]>();

  for (const ds of datasets) {
    const answerable = ds.items.filter((i) => i.answerable);
    // Reference texts for the Levenshtein context recall: the default index's gold chunks.
    const defaultGold = defaultChunks ? resolveGold(answerable, defaultChunks, fileText) : new Map();
    const defaultTexts = new Map([...(defaultChunks?.values() ?? [])].flat().map((c) => [c.id, c.text]));
    const referenceTexts = (item: EvalItem) => (defaultGold.get(item.id) ?? []).map((f: Set<string>) => defaultTexts.get([...f][0] ?? '') ?? '').filter((t: string) => t);
    const rowsHere: RetrievalRow[] = [];
    for (const system of systems) {
      const gold: ResolvedGold = resolveGold(answerable, await system.chunksByFile(), fileText);
      const runs = await runSystem(system, ds.items, progress, `${ds.name} · ${system.name}`);
      if (system.store !== undefined && (system.group === 'mode' || system.group === 'store')) top10.set(`${ds.name}\u0000${system.name}`, runs.map((r) => r.results.slice(0, DEPTH).map((x) => x.ids[0] ?? '')));
      const scored = runs.filter((r) => r.item.answerable).map((r) => ({ run: r, m: itemMetrics(r, gold.get(r.item.id) ?? [], options.ks, referenceTexts(r.item)) }));
      const byKind: RetrievalRow['byKind'] = {};
      for (const kind of [...new Set(scored.map((s) => s.run.item.kind))].sort()) {
        const these = scored.filter((s) => s.run.item.kind === kind);
        byKind[kind] = { n: these.length, metrics: meanMetrics(these.map((s) => s.m)) };
      }
      const row: RetrievalRow = { dataset: ds.name, system: system.name, group: system.group, description: system.description, n: scored.length, metrics: meanMetrics(scored.map((s) => s.m)), latencyMs: latencyFigures(runs.map((r) => r.ms)), byKind };
      if (system.store !== undefined) row.store = system.store;
      if (runs.some((r) => r.abstained !== undefined) && runs.some((r) => !r.item.answerable)) {
        row.abstention = abstention(runs.map((r) => ({ answerable: r.item.answerable, abstained: r.abstained === true })));
      }
      rowsHere.push(row);
      if (system.name === MODE_NAMES.rerank) {
        const n = options.worst ?? 10;
        const ranked = [...scored].sort((a, b) => ((a.m['mrr@10'] ?? 0) + (a.m['recall@5'] ?? 0)) - ((b.m['mrr@10'] ?? 0) + (b.m['recall@5'] ?? 0)) || (a.m['ndcg@10'] ?? 0) - (b.m['ndcg@10'] ?? 0));
        for (const s of ranked.slice(0, n)) {
          const facets = gold.get(s.run.item.id) ?? [];
          worst.push({
            dataset: ds.name,
            system: system.name,
            id: s.run.item.id,
            kind: s.run.item.kind,
            question: s.run.item.question,
            score: ((s.m['mrr@10'] ?? 0) + (s.m['recall@5'] ?? 0)) / 2,
            retrieved: s.run.results.slice(0, 3).map((r) => ({ title: r.title, file: r.file, snippet: r.text.replace(/\s+/g, ' ').slice(0, 160), gold: facets.some((f) => r.ids.some((id) => f.has(id))) })),
            gold: s.run.item.gold.flat().map((g) => ('quote' in g ? `${g.file}: “${g.quote}”` : 'chunkId' in g ? g.chunkId : g.file)),
          });
        }
      }
    }
    retrieval.push(...rowsHere);
    const top = rowsHere.filter((r) => r.group !== 'store').sort((a, b) => overallScore(b.metrics) - overallScore(a.metrics))[0];
    if (top) best[ds.name] = top.system;
    const q = rowsHere.find((r) => r.system === MODE_NAMES.rerank);
    const b = rowsHere.find((r) => r.group === 'baseline');
    if (q && b) {
      const gap = Object.fromEntries(Object.keys(q.metrics).map((k) => [k, (q.metrics[k] ?? 0) - (b.metrics[k] ?? 0)]));
      const compared = Object.entries(gap).filter(([k]) => !k.startsWith('ctxRecallLev'));
      baselineGaps.push({ dataset: ds.name, qbank: q.system, baseline: b.system, gap, latencyRatio: b.latencyMs.p50 / Math.max(1e-9, q.latencyMs.p50), beatsOnEvery: compared.every(([, d]) => d > 0) });
    }
  }

  const answers: AnswerRow[] = [];
  let llmName: string | undefined;
  if (options.answers) {
    const searcher = createSearcher(config, store, embedder, reranker);
    const ask = createAskService(config, searcher, embedder, corpus);
    const answerers: ('extractive' | 'llm')[] = ask.llmAvailable ? ['extractive', 'llm'] : ['extractive'];
    if (ask.llmAvailable && config.llm.kind === 'openai') llmName = config.llm.model;
    else notes.push('No LLM answerer is configured (QBANK_LLM_MODEL): only extractive answers were compared.');
    const wanted = options.answerDatasets ?? ['dev'];
    const judge = options.judge ? new LlmJudge(options.judge.model, embedder) : undefined;
    for (const ds of datasets.filter((d) => wanted.includes(d.name))) {
      for (const answerer of answerers) {
        progress.start(`${ds.name} · answers (${answerer})`, ds.items.length);
        const rows: { item: EvalItem; answer: Answer; contexts: string[]; m: Record<string, number>; ms: number }[] = [];
        for (const item of ds.items) {
          const t = performance.now();
          const answer = await ask.ask({ question: item.question, answerer });
          const ms = performance.now() - t;
          const contexts = answer.abstained ? [] : (await searcher.search({ query: item.question, k: 5 })).results.map((r) => r.text);
          const m: Record<string, number> = {};
          if (item.answerable && !answer.abstained) {
            const quotes = new Map(answer.citations.map((c) => [c.n, c.quote]));
            m['faithfulness'] = (await faithfulnessNonLlm(embedder, answer.answer, { quotes, contexts })).score;
            m['answerRelevancy'] = await answerRelevancyNonLlm(embedder, item.question, answer.answer);
            m['citationValidity'] = citationValidity(answer.citations, (f) => {
              try {
                return corpus.text(f);
              } catch {
                return undefined;
              }
            });
            if (item.reference) {
              const plain = answer.answer.replace(/\s*\[\d+(?:\s*,\s*\d+)*\]/g, '');
              m['answerCorrectness'] = (await answerCorrectnessNonLlm(embedder, answer.answer, item.reference)).score;
              m['rougeL'] = rougeL(item.reference, plain).fmeasure;
              m['bleu'] = bleu(item.reference, plain);
              m['stringSimilarity'] = stringSimilarity(item.reference, plain);
            }
          } else if (item.answerable) {
            for (const k of ['faithfulness', 'answerRelevancy', 'answerCorrectness', 'rougeL', 'bleu', 'stringSimilarity']) m[k] = 0;
          }
          rows.push({ item, answer, contexts, m, ms });
          progress.tick();
        }
        progress.stop();
        const scored = rows.filter((r) => r.item.answerable);
        const byKind: AnswerRow['byKind'] = {};
        for (const kind of [...new Set(scored.map((s) => s.item.kind))].sort()) {
          const these = scored.filter((s) => s.item.kind === kind);
          byKind[kind] = { n: these.length, metrics: meanMetrics(these.map((s) => s.m)) };
        }
        const row: AnswerRow = {
          dataset: ds.name,
          answerer: answerer === 'llm' && llmName ? `llm (${llmName})` : answerer,
          n: scored.length,
          metrics: meanMetrics(scored.map((s) => s.m)),
          abstention: abstention(rows.map((r) => ({ answerable: r.item.answerable, abstained: r.answer.abstained }))),
          latencyMs: latencyFigures(rows.map((r) => r.ms)),
          byKind,
        };
        if (judge && options.judge) {
          const judged = scored.filter((s) => !s.answer.abstained && s.item.reference).slice(0, options.judge.limit);
          progress.start(`${ds.name} · judge (${answerer})`, judged.length);
          const jm: Record<string, number>[] = [];
          let failures = 0;
          for (const s of judged) {
            const plain = s.answer.answer.replace(/\s*\[\d+(?:\s*,\s*\d+)*\]/g, '');
            const one: Record<string, number> = {};
            const attempt = async (key: string, f: () => Promise<{ score: number }>) => {
              try {
                one[key] = (await f()).score;
              } catch (error) {
                if (!(error instanceof JudgeOutputError)) throw error;
                failures += 1;
              }
            };
            await attempt('llm.faithfulness', () => judge.faithfulness(s.item.question, plain, s.contexts));
            await attempt('llm.answerRelevancy', () => judge.answerRelevancy(s.item.question, plain));
            await attempt('llm.answerCorrectness', () => judge.answerCorrectness(s.item.question, plain, s.item.reference));
            jm.push(one);
            progress.tick();
          }
          progress.stop();
          row.judged = { n: judged.length, model: options.judge.name, metrics: meanMetrics(jm), failures };
        }
        answers.push(row);
      }
    }
  }

  await Promise.all(systems.map((s) => s.close()));
  await Promise.all(otherStores.map((s) => s.close()));
  await store.close();
  await embedder.close();
  return {
    createdAt: new Date().toISOString(),
    ...gitCommit(),
    machine: { cpus: cpus().length, node: process.version },
    models: { embedder: embedder.id, reranker: reranker.id, ...(llmName ? { llm: llmName } : {}), ...(options.judge ? { judge: options.judge.name } : {}) },
    metricVersions: metricVersions(options.ks, options.judge?.name),
    datasets: datasets.map((d) => datasetInfo(d.name, d.path, d.items)),
    retrieval,
    answers,
    worst,
    best,
    baseline: baselineGaps,
    peers: [],
    ...(storeConfigs.length > 1
      ? {
          stores: {
            stores: storeConfigs.map((s) => ({ store: s.kind, where: describeStore(s) })),
            rows: compareStores(retrieval, storeConfigs.map((s) => s.kind), SEARCH_MODES.map((m) => MODE_NAMES[m]), top10),
          },
        }
      : {}),
    notes,
  };
}

function gitCommit(): { commit?: string } {
  try {
    return { commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() };
  } catch {
    return {};
  }
}

/** Reads a report written earlier (for re-rendering). */
export function readReport(path: string): EvalReport {
  return JSON.parse(readFileSync(path, 'utf8')) as EvalReport;
}

