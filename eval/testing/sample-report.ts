import { latencyFigures, type EvalReport, type RetrievalRow } from '../report.js';

/** A small, fixed report with every section filled: for rendering tests without running a model. */
export function sampleReport(): EvalReport {
  const metrics = (base: number): Record<string, number> => ({
    'hit@1': base,
    'recall@5': Math.min(1, base + 0.15),
    'precision@5': base / 3,
    'mrr@10': base + 0.07,
    'ndcg@10': base + 0.1,
    'cp@5': base + 0.04,
    'ctxRecallLev@5': base + 0.05,
  });
  const kinds = (base: number) => ({ paraphrase: { n: 120, metrics: metrics(base) }, german: { n: 16, metrics: metrics(base - 0.2) }, keyword: { n: 14, metrics: metrics(base + 0.05) } });
  const row = (system: string, group: RetrievalRow['group'], base: number, times: number[]): RetrievalRow => ({ dataset: 'dev', system, group, description: `${system} (sample)`, n: 150, metrics: metrics(base), latencyMs: latencyFigures(times), byKind: kinds(base) });
  const retrieval = [
    row('bm25', 'mode', 0.68, [3, 4, 4, 5, 6, 30]),
    row('dense', 'mode', 0.66, [12, 13, 14, 15, 40]),
    row('hybrid (RRF)', 'mode', 0.75, [14, 15, 16, 18, 35]),
    { ...row('hybrid+rerank', 'mode', 0.81, [8, 9, 10, 12, 25]), abstention: { precision: 1, recall: 0.5, falseAbstainRate: 0, unanswerable: 14, answerable: 175 } },
    row('rrf k=10', 'rrf', 0.8, [8, 9, 10]),
    row('langchain baseline', 'baseline', 0.55, [40, 45, 50, 60, 120]),
    { ...row('hybrid+rerank · qdrant', 'store', 0.81, [10, 11, 12, 15, 30]), store: 'qdrant' },
  ];
  const reference = retrieval.find((r) => r.system === 'hybrid+rerank') as RetrievalRow;
  const onQdrant = retrieval.find((r) => r.group === 'store') as RetrievalRow;
  return {
    createdAt: '2026-01-01T00:00:00.000Z',
    commit: 'abc1234',
    machine: { cpus: 2, node: 'v20.0.0' },
    models: { embedder: 'transformers:onnx-community/all-MiniLM-L6-v2-ONNX:q4', reranker: 'heuristic' },
    metricVersions: [{ key: 'mrr@10', label: 'MRR@10', version: '1/rank of the first relevant result' }],
    datasets: [{ name: 'dev', path: 'eval/datasets/dev.jsonl', items: 189, answerable: 175, unanswerable: 14, kinds: { paraphrase: 128, german: 16, keyword: 14 } }],
    retrieval,
    answers: [
      {
        dataset: 'dev',
        answerer: 'extractive',
        n: 175,
        metrics: { faithfulness: 0.97, answerRelevancy: 0.71, answerCorrectness: 0.55, rougeL: 0.28, bleu: 0.08, stringSimilarity: 0.3, citationValidity: 1 },
        abstention: { precision: 1, recall: 0.5, falseAbstainRate: 0, unanswerable: 14, answerable: 175 },
        latencyMs: latencyFigures([80, 90, 120]),
        byKind: {},
      },
    ],
    worst: [
      {
        dataset: 'dev',
        system: 'hybrid+rerank',
        id: 'dev-042',
        kind: 'paraphrase',
        question: 'Which topics come up most often <in> interviews?',
        score: 0.05,
        retrieved: [
          { title: 'Interview Questions', file: '004.txt', snippet: 'Most common technical questions…', gold: false },
          { title: 'Q1. Explain attention', file: '002.txt', snippet: 'Attention computes…', gold: true },
        ],
        gold: ['002.txt: “Attention computes a weighted sum”'],
      },
    ],
    best: { dev: 'hybrid+rerank' },
    baseline: [{ dataset: 'dev', qbank: 'hybrid+rerank', baseline: 'langchain baseline', gap: { 'hit@1': 0.26, 'recall@5': 0.2, 'mrr@10': 0.26 }, latencyRatio: 4.5, beatsOnEvery: true }],
    peers: [
      {
        name: 'anthropic-docs',
        corpus: 'anthropic_docs.json',
        queries: 100,
        k: 3,
        rows: [
          { pipeline: 'Basic RAG (voyage-2)', published: true, metrics: { 'precision@3': 0.428, 'recall@3': 0.659, F1: 0.519, 'MRR@3': 0.737 } },
          { pipeline: 'qbank hybrid+rerank', published: false, metrics: { 'precision@3': 0.45, 'recall@3': 0.7, F1: 0.55, 'MRR@3': 0.8 } },
        ],
        targets: { 'recall@3': 0.75 },
        notes: ['sample'],
      },
    ],
    stores: {
      stores: [{ store: 'sqlite', where: '.qbank/index.sqlite' }, { store: 'qdrant', where: 'http://127.0.0.1:6333, collection qbank' }],
      rows: [
        {
          dataset: 'dev',
          system: 'hybrid+rerank',
          stores: [reference, onQdrant].map((r) => ({ store: r.store ?? 'sqlite', n: r.n, metrics: r.metrics, latencyMs: r.latencyMs })),
          diff: { qdrant: Object.fromEntries(Object.keys(reference.metrics).map((k) => [k, 0])) },
          sameTop10: { qdrant: 0.995 },
        },
      ],
    },
    notes: ['No LLM answerer is configured.'],
  };
}
