import type { EvalReport, RetrievalRow, StoreComparison } from './report.js';
import { STORE_COLUMNS } from './stores.js';

const f3 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(3));
const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

function table(head: string[], rows: string[][], firstWidth: number): string {
  const widths = head.map((h, i) => Math.max(i === 0 ? firstWidth : 0, h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The retrieval columns of the main table, per dataset. */
const RETRIEVAL_COLUMNS: [string, string][] = [
  ['hit@1', 'Hit@1'],
  ['recall@5', 'R@5'],
  ['precision@5', 'P@5'],
  ['mrr@10', 'MRR@10'],
  ['ndcg@10', 'nDCG@10'],
  ['cp@5', 'CP@5'],
  ['ctxRecallLev@5', 'CtxR-Lev@5'],
];

function retrievalTable(rows: readonly RetrievalRow[], best: string | undefined): string {
  const maxOf = (k: string) => Math.max(...rows.map((r) => r.metrics[k] ?? Number.NEGATIVE_INFINITY));
  const body = rows.map((r) => [
    `${r.system === best ? '★ ' : '  '}${r.system}`,
    ...RETRIEVAL_COLUMNS.map(([k]) => `${f3(r.metrics[k])}${(r.metrics[k] ?? Number.NaN) === maxOf(k) ? '*' : ' '}`),
    ms(r.latencyMs.p50),
    ms(r.latencyMs.p95),
  ]);
  return table(['configuration', ...RETRIEVAL_COLUMNS.map(([, h]) => h), 'p50 ms', 'p95 ms'], body, 24);
}

const signed = (x: number | undefined, digits: number) => (x === undefined || !Number.isFinite(x) ? '–' : `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}`);

/** Each search mode on each store, then per other store its difference from the reference and how often the top 10 was the same. */
function storesTable(c: StoreComparison, dataset: string): string {
  const body: string[][] = [];
  for (const row of c.rows.filter((r) => r.dataset === dataset)) {
    const [ref] = row.stores;
    row.stores.forEach((st, i) => {
      body.push([i === 0 ? row.system : '', st.store, ...STORE_COLUMNS.map(([k]) => f3(st.metrics[k])), ms(st.latencyMs.p50), ms(st.latencyMs.p95), '']);
    });
    for (const st of row.stores.slice(1)) {
      const d = row.diff[st.store] ?? {};
      const same = row.sameTop10[st.store];
      body.push(['', `Δ ${st.store}`, ...STORE_COLUMNS.map(([k]) => signed(d[k], 3)), signed(st.latencyMs.p50 - (ref?.latencyMs.p50 ?? 0), 1), signed(st.latencyMs.p95 - (ref?.latencyMs.p95 ?? 0), 1), same === undefined || !Number.isFinite(same) ? '–' : `${(same * 100).toFixed(1)}%`]);
    }
  }
  return table(['configuration', 'store', ...STORE_COLUMNS.map(([, h]) => h), 'p50 ms', 'p95 ms', 'same top 10'], body, 16);
}

/** The terminal report: retrieval per dataset, answers, abstention, the baseline gap, models and metric versions. */
export function formatReport(r: EvalReport): string {
  const out: string[] = [];
  out.push(`qbank eval — ${r.createdAt}${r.commit ? ` @ ${r.commit}` : ''}; ${r.machine.cpus} CPUs, Node ${r.machine.node}`);
  out.push(`models: embedder ${r.models.embedder}; reranker ${r.models.reranker}; LLM answers ${r.models.llm ?? 'none'}; judge ${r.models.judge ?? 'none (judge-free metric versions)'}`);
  for (const d of r.datasets) {
    const rows = r.retrieval.filter((x) => x.dataset === d.name && x.group !== 'store');
    if (rows.length === 0) continue;
    out.push('');
    out.push(`Retrieval on ${d.name} (${d.answerable} answerable, ${d.unanswerable} unanswerable; ${Object.entries(d.kinds).map(([k, n]) => `${k} ${n}`).join(', ')})   ★ best overall, * best per column`);
    out.push(retrievalTable(rows, r.best[d.name]));
    const main = rows.find((x) => x.system === 'hybrid+rerank');
    if (main) {
      out.push(`  by kind (hybrid+rerank): ${Object.entries(main.byKind).map(([k, v]) => `${k} n=${v.n} R@5 ${f3(v.metrics['recall@5'])} MRR ${f3(v.metrics['mrr@10'])}`).join(' | ')}`);
      if (main.abstention) out.push(`  abstention (search): precision ${f3(main.abstention.precision)}, recall ${f3(main.abstention.recall)}, false-abstain rate ${f3(main.abstention.falseAbstainRate)}`);
    }
    if (r.stores && r.stores.rows.some((x) => x.dataset === d.name)) {
      const [ref, ...others] = r.stores.stores;
      out.push('');
      out.push(`Stores on ${d.name}: the same searches on ${r.stores.stores.map((x) => `${x.store} (${x.where})`).join(' and ')}; Δ = ${others.map((o) => o.store).join(', ')} − ${ref?.store ?? ''}`);
      out.push(storesTable(r.stores, d.name));
    }
  }
  for (const g of r.baseline ?? []) {
    out.push('');
    out.push(`Baseline gap on ${g.dataset} (${g.qbank} − ${g.baseline}): ${Object.entries(g.gap).filter(([k]) => /^(hit@1|recall@5|precision@5|mrr@10|ndcg@10|cp@5)$/.test(k)).map(([k, v]) => `${k} ${v >= 0 ? '+' : ''}${v.toFixed(3)}`).join(', ')}; latency ratio (baseline p50 / qbank p50) ${g.latencyRatio.toFixed(2)}; qbank ${g.beatsOnEvery ? 'beats the baseline on every retrieval metric' : 'does NOT beat the baseline on every metric'}`);
  }
  if (r.answers.length > 0) {
    const cols: [string, string][] = [
      ['faithfulness', 'Faithful'],
      ['answerRelevancy', 'AnsRel'],
      ['answerCorrectness', 'AnsCorr'],
      ['rougeL', 'ROUGE-L'],
      ['bleu', 'BLEU'],
      ['stringSimilarity', 'StrSim'],
      ['citationValidity', 'CiteOK'],
    ];
    out.push('');
    out.push('Answers (answerable items; abstentions score 0)');
    out.push(
      table(
        ['dataset · answerer', ...cols.map(([, h]) => h), 'abst P', 'abst R', 'false-abst', 'p50 ms'],
        r.answers.map((a) => [`${a.dataset} · ${a.answerer}`, ...cols.map(([k]) => f3(a.metrics[k])), f3(a.abstention.precision), f3(a.abstention.recall), f3(a.abstention.falseAbstainRate), ms(a.latencyMs.p50)]),
        24,
      ),
    );
    for (const a of r.answers.filter((x) => x.judged)) {
      const j = a.judged;
      if (j) out.push(`  judged by ${j.model} on ${j.n} answers of ${a.answerer}: faithfulness ${f3(j.metrics['llm.faithfulness'])}, answer relevancy ${f3(j.metrics['llm.answerRelevancy'])}, answer correctness ${f3(j.metrics['llm.answerCorrectness'])}${j.failures ? ` (${j.failures} unusable judge outputs)` : ''}`);
    }
  }
  for (const p of r.peers) {
    out.push('');
    out.push(`Peer benchmark ${p.name}: ${p.queries} queries over ${p.corpus}`);
    const keys = [...new Set(p.rows.flatMap((x) => Object.keys(x.metrics)))];
    out.push(table(['pipeline', ...keys], p.rows.map((x) => [`${x.published ? '(published) ' : ''}${x.pipeline}`, ...keys.map((k) => (x.metrics[k] === undefined ? '–' : k.includes('%') || k.startsWith('Pass') ? `${(x.metrics[k] ?? 0).toFixed(2)}%` : f3(x.metrics[k])))]), 30));
    out.push(`  targets: ${Object.entries(p.targets).map(([k, v]) => `${k} ≥ ${v}`).join(', ')}${p.latencyMs ? `; qbank default p50 ${ms(p.latencyMs.p50)} ms, p95 ${ms(p.latencyMs.p95)} ms per query` : ''}`);
    for (const n of p.notes) out.push(`  ${n}`);
  }
  if (r.worst.length > 0) {
    out.push('');
    out.push('Worst questions (hybrid+rerank), with the top 3 retrieved (✓ = gold):');
    for (const w of r.worst.slice(0, 8)) {
      out.push(`  [${w.dataset}/${w.kind}] ${w.question}  (score ${w.score.toFixed(2)})`);
      for (const x of w.retrieved) out.push(`     ${x.gold ? '✓' : '·'} ${x.file.slice(0, 3)} ${x.title.slice(0, 90)}`);
    }
  }
  for (const n of r.notes) out.push(`note: ${n}`);
  out.push('');
  out.push('Metric versions:');
  for (const m of r.metricVersions.filter((v) => !/^(hit|recall|precision)@/.test(v.key) || /@(1|5)$/.test(v.key))) out.push(`  ${m.label.padEnd(14)} ${m.version}`);
  return `${out.join('\n')}\n`;
}
