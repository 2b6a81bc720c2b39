/**
 * The evaluation report: what `qbank eval` writes to report.json, prints as tables and draws in
 * report.html. Plain data; every figure is a number in [0, 1] unless its name says ms or %.
 */

/** One metric's name, what it computes, and whose definition it follows. */
export interface MetricVersion {
  key: string;
  label: string;
  version: string;
}

export interface DatasetInfo {
  name: string;
  path: string;
  items: number;
  answerable: number;
  unanswerable: number;
  kinds: Record<string, number>;
}

export interface LatencyFigures {
  p50: number;
  p95: number;
  mean: number;
  /** Counts per bucket of `LATENCY_BUCKETS_MS` (upper bounds; the last is open). */
  histogram: number[];
}

/** Latency histogram bucket upper bounds, ms. */
export const LATENCY_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, Number.POSITIVE_INFINITY] as const;

/** A retrieval configuration's figures on one dataset (answerable items). */
export interface RetrievalRow {
  dataset: string;
  system: string;
  /** `store`: a search mode on another store of `qbank eval --stores` (see `StoreComparisonRow`). */
  group: 'mode' | 'rrf' | 'chunking' | 'baseline' | 'store';
  /** The store kind qbank searched (`sqlite`, `qdrant`); absent for the baseline. */
  store?: string;
  description: string;
  n: number;
  metrics: Record<string, number>;
  latencyMs: LatencyFigures;
  byKind: Record<string, { n: number; metrics: Record<string, number> }>;
  /** Abstention of this configuration, when it abstains at all. */
  abstention?: { precision: number; recall: number; falseAbstainRate: number; unanswerable: number; answerable: number };
}

/** An answerer's figures on one dataset. */
export interface AnswerRow {
  dataset: string;
  answerer: string;
  n: number;
  metrics: Record<string, number>;
  /** LLM-judged versions, over the first `judged` answerable items. */
  judged?: { n: number; model: string; metrics: Record<string, number>; failures: number };
  abstention: { precision: number; recall: number; falseAbstainRate: number; unanswerable: number; answerable: number };
  latencyMs: LatencyFigures;
  byKind: Record<string, { n: number; metrics: Record<string, number> }>;
}

/** A poorly served question, with what was retrieved for it. */
export interface WorstItem {
  dataset: string;
  system: string;
  id: string;
  kind: string;
  question: string;
  score: number;
  retrieved: { title: string; file: string; snippet: string; gold: boolean }[];
  gold: string[];
}

/** One search mode on every store of `qbank eval --stores`; the first store is the reference. */
export interface StoreComparisonRow {
  dataset: string;
  /** The search mode, named as on the reference store (`hybrid+rerank`, …). */
  system: string;
  /** In the order of `--stores`. */
  stores: { store: string; n: number; metrics: Record<string, number>; latencyMs: LatencyFigures }[];
  /** Per store after the first: its metric minus the reference's, for every metric. */
  diff: Record<string, Record<string, number>>;
  /** Per store after the first: the share of all questions whose top 10 ids, in order, equal the reference's. */
  sameTop10: Record<string, number>;
}

/** What `qbank eval --stores` compared. */
export interface StoreComparison {
  /** The stores, the reference first: kind and where (SQLite file, Qdrant URL and collection). */
  stores: { store: string; where: string }[];
  rows: StoreComparisonRow[];
}

export interface PeerRow {
  pipeline: string;
  /** Published figures are marked so; ours carry the configuration. */
  published: boolean;
  metrics: Record<string, number>;
}

export interface PeerReport {
  name: string;
  corpus: string;
  queries: number;
  k: number;
  rows: PeerRow[];
  targets: Record<string, number>;
  latencyMs?: LatencyFigures;
  notes: string[];
}

export interface EvalReport {
  createdAt: string;
  commit?: string;
  machine: { cpus: number; node: string };
  models: { embedder: string; reranker: string; llm?: string; judge?: string };
  metricVersions: MetricVersion[];
  datasets: DatasetInfo[];
  retrieval: RetrievalRow[];
  answers: AnswerRow[];
  worst: WorstItem[];
  /** Per dataset: the configuration with the best mean of MRR@10, Recall@5 and nDCG@10. */
  best: Record<string, string>;
  baseline?: { dataset: string; qbank: string; baseline: string; gap: Record<string, number>; latencyRatio: number; beatsOnEvery: boolean }[];
  peers: PeerReport[];
  /** The same searches on several stores (`qbank eval --stores sqlite,qdrant`). */
  stores?: StoreComparison;
  notes: string[];
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? 0;
}

export function latencyFigures(times: readonly number[]): LatencyFigures {
  const sorted = [...times].sort((a, b) => a - b);
  const histogram = LATENCY_BUCKETS_MS.map(() => 0);
  for (const t of times) {
    const b = LATENCY_BUCKETS_MS.findIndex((u) => t <= u);
    histogram[b] = (histogram[b] ?? 0) + 1;
  }
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), mean: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length), histogram };
}

/** Mean of the finite values (NaN marks "not defined for this item", as in RAGAS). NaN when none is. */
export function nanMean(xs: readonly number[]): number {
  const ok = xs.filter((x) => Number.isFinite(x));
  return ok.length === 0 ? Number.NaN : ok.reduce((a, b) => a + b, 0) / ok.length;
}

/** The score a configuration is ranked by when picking the best one. */
export function overallScore(metrics: Record<string, number>): number {
  return ((metrics['mrr@10'] ?? 0) + (metrics['recall@5'] ?? 0) + (metrics['ndcg@10'] ?? 0)) / 3;
}
