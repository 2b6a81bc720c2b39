import { LATENCY_BUCKETS_MS, type EvalReport, type RetrievalRow } from './report.js';
import { STORE_COLUMNS } from './stores.js';

/**
 * The report as one self-contained HTML page: tables, and charts drawn as inline SVG (no
 * script, no CDN, no external font), so it opens offline and prints as it looks.
 */

const PALETTE = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d', '#7c3aed', '#0d9488'];

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

const fmt = (x: number | undefined, digits = 3) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));

interface Series {
  name: string;
  values: number[];
  /** Fill colour; by default the palette in series order. */
  color?: string;
}

/** A colour per name, stable across every chart of a report. */
export function colorScale(names: readonly string[]): (name: string) => string {
  const unique = [...new Set(names)];
  return (name) => PALETTE[Math.max(0, unique.indexOf(name)) % PALETTE.length] ?? '#4b5563';
}

/**
 * Grouped horizontal bars: one group per category, one bar per series, values in [0, max].
 */
export function groupedBarsSvg(title: string, categories: readonly string[], series: readonly Series[], max = 1, valueFormat: (v: number) => string = (v) => v.toFixed(3)): string {
  const barH = 11;
  const gap = 8;
  const labelW = 130;
  const chartW = 330;
  const groupH = series.length * barH + gap;
  const legendH = Math.ceil(series.length / 3) * 16 + 6;
  const height = 28 + legendH + categories.length * groupH + 10;
  const width = labelW + chartW + 70;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`];
  parts.push(`<text x="0" y="14" font-size="13" font-weight="600">${escapeHtml(title)}</text>`);
  series.forEach((s, i) => {
    const x = (i % 3) * 175;
    const y = 24 + Math.floor(i / 3) * 16;
    parts.push(`<rect x="${x}" y="${y}" width="10" height="10" fill="${s.color ?? PALETTE[i % PALETTE.length]}"/><text x="${x + 14}" y="${y + 9}">${escapeHtml(s.name.length > 26 ? `${s.name.slice(0, 25)}…` : s.name)}</text>`);
  });
  const top = 28 + legendH;
  // Grid lines at quarters.
  for (let q = 0; q <= 4; q++) {
    const x = labelW + (chartW * q) / 4;
    parts.push(`<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${height - 8}" stroke="#e5e7eb"/><text x="${x}" y="${height}" text-anchor="middle" fill="#6b7280" font-size="9">${valueFormat((max * q) / 4)}</text>`);
  }
  categories.forEach((cat, ci) => {
    const y0 = top + ci * groupH;
    parts.push(`<text x="${labelW - 6}" y="${y0 + (series.length * barH) / 2 + 4}" text-anchor="end">${escapeHtml(cat)}</text>`);
    series.forEach((s, si) => {
      const v = s.values[ci] ?? 0;
      const w = Number.isFinite(v) ? Math.max(0, Math.min(1, v / max)) * chartW : 0;
      const y = y0 + si * barH;
      parts.push(`<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${s.color ?? PALETTE[si % PALETTE.length]}"><title>${escapeHtml(`${s.name} · ${cat}: ${valueFormat(v)}`)}</title></rect>`);
      parts.push(`<text x="${(labelW + w + 3).toFixed(1)}" y="${y + barH - 3}" font-size="9" fill="#374151">${Number.isFinite(v) ? valueFormat(v) : '–'}</text>`);
    });
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Latency histogram: columns per bucket, one series per configuration (shares of queries). */
export function latencyHistogramSvg(title: string, rows: readonly { name: string; histogram: number[]; color?: string }[]): string {
  const buckets = LATENCY_BUCKETS_MS.map((u, i) => (i === 0 ? `≤${u}` : Number.isFinite(u) ? `≤${u}` : `>${LATENCY_BUCKETS_MS[i - 1]}`));
  const colW = 9;
  const groupW = rows.length * colW + 12;
  const chartH = 160;
  const left = 40;
  const width = left + buckets.length * groupW + 20;
  const legendH = Math.ceil(rows.length / 3) * 16 + 6;
  const height = 24 + legendH + chartH + 34;
  const shares = rows.map((r) => {
    const total = r.histogram.reduce((a, b) => a + b, 0) || 1;
    return r.histogram.map((c) => c / total);
  });
  const max = Math.max(0.05, ...shares.flat());
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="10">`];
  parts.push(`<text x="0" y="14" font-size="13" font-weight="600">${escapeHtml(title)}</text>`);
  rows.forEach((r, i) => {
    const x = (i % 3) * 175;
    const y = 22 + Math.floor(i / 3) * 16;
    parts.push(`<rect x="${x}" y="${y}" width="10" height="10" fill="${r.color ?? PALETTE[i % PALETTE.length]}"/><text x="${x + 14}" y="${y + 9}">${escapeHtml(r.name)}</text>`);
  });
  const top = 24 + legendH;
  for (let q = 0; q <= 4; q++) {
    const y = top + chartH - (chartH * q) / 4;
    parts.push(`<line x1="${left}" y1="${y}" x2="${width - 10}" y2="${y}" stroke="#e5e7eb"/><text x="${left - 4}" y="${y + 3}" text-anchor="end" fill="#6b7280" font-size="9">${Math.round((max * q * 100) / 4)}%</text>`);
  }
  buckets.forEach((b, bi) => {
    const x0 = left + 6 + bi * groupW;
    rows.forEach((r, ri) => {
      const share = shares[ri]?.[bi] ?? 0;
      const h = (share / max) * chartH;
      parts.push(`<rect x="${x0 + ri * colW}" y="${(top + chartH - h).toFixed(1)}" width="${colW - 2}" height="${h.toFixed(1)}" fill="${r.color ?? PALETTE[ri % PALETTE.length]}"><title>${escapeHtml(`${r.name}, ${b} ms: ${(share * 100).toFixed(1)}% of queries`)}</title></rect>`);
    });
    parts.push(`<text x="${x0 + (rows.length * colW) / 2}" y="${top + chartH + 14}" text-anchor="middle">${escapeHtml(b)}</text>`);
  });
  parts.push(`<text x="${left + (buckets.length * groupW) / 2}" y="${top + chartH + 30}" text-anchor="middle" fill="#6b7280">latency per query, ms</text>`);
  parts.push('</svg>');
  return parts.join('');
}

function table(head: readonly string[], rows: readonly (readonly string[])[], numericFrom = 1): string {
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${i >= numericFrom ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const RETRIEVAL_METRICS: [string, string][] = [
  ['hit@1', 'Hit@1'],
  ['recall@5', 'Recall@5'],
  ['precision@5', 'P@5'],
  ['mrr@10', 'MRR@10'],
  ['ndcg@10', 'nDCG@10'],
  ['cp@5', 'CP@5'],
  ['ctxRecallLev@5', 'CtxR-Lev@5'],
];

function retrievalSection(r: EvalReport, dataset: string, rows: readonly RetrievalRow[]): string {
  const best = r.best[dataset];
  const color = colorScale(r.retrieval.map((x) => x.system));
  const maxOf = (k: string) => Math.max(...rows.map((x) => x.metrics[k] ?? Number.NEGATIVE_INFINITY));
  const body = rows.map((x) => [
    `${x.system === best ? '★ ' : ''}${escapeHtml(x.system)}<div class="desc">${escapeHtml(x.description)}</div>`,
    ...RETRIEVAL_METRICS.map(([k]) => {
      const v = x.metrics[k];
      return v !== undefined && v === maxOf(k) ? `<b>${fmt(v)}</b>` : fmt(v);
    }),
    fmt(x.latencyMs.p50, 1),
    fmt(x.latencyMs.p95, 1),
  ]);
  const chart = groupedBarsSvg(
    `Retrieval metrics per configuration — ${dataset}`,
    RETRIEVAL_METRICS.slice(0, 6).map(([, l]) => l),
    rows.map((x) => ({ name: x.system, color: color(x.system), values: RETRIEVAL_METRICS.slice(0, 6).map(([k]) => x.metrics[k] ?? 0) })),
  );
  const main = rows.find((x) => x.system === 'hybrid+rerank');
  const base = rows.find((x) => x.group === 'baseline');
  const kinds = main ? Object.keys(main.byKind) : [];
  const kindSeries = [main, base, ...rows.filter((x) => x.group === 'mode' && x !== main)].filter((x): x is RetrievalRow => x !== undefined);
  const kindChart =
    kinds.length > 0
      ? groupedBarsSvg(
          `MRR@10 by question kind — ${dataset}`,
          kinds.map((k) => `${k} (n=${main?.byKind[k]?.n ?? 0})`),
          kindSeries.map((x) => ({ name: x.system, color: color(x.system), values: kinds.map((k) => x.byKind[k]?.metrics['mrr@10'] ?? 0) })),
        )
      : '';
  const hist = latencyHistogramSvg(
    `Latency histogram — ${dataset}`,
    rows.filter((x) => x.group === 'mode' || x.group === 'baseline').map((x) => ({ name: x.system, color: color(x.system), histogram: x.latencyMs.histogram })),
  );
  const abst = main?.abstention ? `<p>Abstention of the search (hybrid+rerank): precision ${fmt(main.abstention.precision)}, recall ${fmt(main.abstention.recall)} on ${main.abstention.unanswerable} unanswerable; false-abstain rate ${fmt(main.abstention.falseAbstainRate)} on ${main.abstention.answerable} answerable.</p>` : '';
  return `<section><h2>Retrieval — ${escapeHtml(dataset)}</h2>${table(['configuration', ...RETRIEVAL_METRICS.map(([, l]) => l), 'p50 ms', 'p95 ms'], body)}${abst}<div class="charts">${chart}${kindChart}${hist}</div></section>`;
}

/** The search modes on each store of `--stores`: metrics, latency, differences from the reference store. */
function storesSection(r: EvalReport, dataset: string): string {
  const c = r.stores;
  const rows = c?.rows.filter((x) => x.dataset === dataset) ?? [];
  if (!c || rows.length === 0) return '';
  const signed = (x: number | undefined, digits = 3) => (x === undefined || !Number.isFinite(x) ? '–' : `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}`);
  const body: string[][] = [];
  for (const row of rows) {
    const ref = row.stores[0];
    row.stores.forEach((st, i) => body.push([i === 0 ? escapeHtml(row.system) : '', escapeHtml(st.store), ...STORE_COLUMNS.map(([k]) => fmt(st.metrics[k])), fmt(st.latencyMs.p50, 1), fmt(st.latencyMs.p95, 1), '']));
    for (const st of row.stores.slice(1)) {
      const d = row.diff[st.store] ?? {};
      const same = row.sameTop10[st.store];
      body.push(['', `<i>Δ ${escapeHtml(st.store)}</i>`, ...STORE_COLUMNS.map(([k]) => signed(d[k])), signed(st.latencyMs.p50 - (ref?.latencyMs.p50 ?? 0), 1), signed(st.latencyMs.p95 - (ref?.latencyMs.p95 ?? 0), 1), same === undefined || !Number.isFinite(same) ? '–' : `${(same * 100).toFixed(1)}%`]);
    }
  }
  const stores = c.stores.map((x) => x.store);
  const color = colorScale(stores);
  const maxMs = Math.max(1, ...rows.flatMap((x) => x.stores.map((st) => st.latencyMs.p95)));
  const latency = groupedBarsSvg(
    `Latency p50 per store, ms — ${dataset}`,
    rows.map((x) => x.system),
    stores.map((store) => ({ name: store, color: color(store), values: rows.map((x) => x.stores.find((st) => st.store === store)?.latencyMs.p50 ?? 0) })),
    maxMs,
    (v) => v.toFixed(1),
  );
  const where = c.stores.map((x) => `<code>${escapeHtml(x.store)}</code> (${escapeHtml(x.where)})`).join(' and ');
  return `<section><h2>Stores — ${escapeHtml(dataset)}</h2><p>The same searches on ${where}; Δ is each store minus <code>${escapeHtml(stores[0] ?? '')}</code>; “same top 10” is the share of questions whose ten results, in order, are the same.</p>${table(['configuration', 'store', ...STORE_COLUMNS.map(([, l]) => l), 'p50 ms', 'p95 ms', 'same top 10'], body)}<div class="charts">${latency}</div></section>`;
}

const ANSWER_METRICS: [string, string][] = [
  ['faithfulness', 'Faithfulness'],
  ['answerRelevancy', 'Answer relevancy'],
  ['answerCorrectness', 'Answer correctness'],
  ['rougeL', 'ROUGE-L'],
  ['bleu', 'BLEU'],
  ['stringSimilarity', 'String similarity'],
  ['citationValidity', 'Citation validity'],
];

function answersSection(r: EvalReport): string {
  if (r.answers.length === 0) return '';
  const rows = r.answers.map((a) => [
    `${escapeHtml(a.dataset)} · ${escapeHtml(a.answerer)}`,
    ...ANSWER_METRICS.map(([k]) => fmt(a.metrics[k])),
    fmt(a.abstention.precision),
    fmt(a.abstention.recall),
    fmt(a.abstention.falseAbstainRate),
    fmt(a.latencyMs.p50, 0),
  ]);
  const judged = r.answers
    .filter((a) => a.judged)
    .map((a) => `<p>Judged by <code>${escapeHtml(a.judged?.model ?? '')}</code> on ${a.judged?.n ?? 0} answers (${escapeHtml(a.answerer)}): faithfulness ${fmt(a.judged?.metrics['llm.faithfulness'])}, answer relevancy ${fmt(a.judged?.metrics['llm.answerRelevancy'])}, answer correctness ${fmt(a.judged?.metrics['llm.answerCorrectness'])}.</p>`)
    .join('');
  const chart = groupedBarsSvg(
    'Answer metrics per answerer',
    ANSWER_METRICS.map(([, l]) => l),
    r.answers.map((a) => ({ name: `${a.dataset} · ${a.answerer}`, values: ANSWER_METRICS.map(([k]) => a.metrics[k] ?? 0) })),
  );
  return `<section><h2>Answers</h2>${table(['dataset · answerer', ...ANSWER_METRICS.map(([, l]) => l), 'abstain P', 'abstain R', 'false-abstain', 'p50 ms'], rows)}${judged}<div class="charts">${chart}</div></section>`;
}

function baselineSection(r: EvalReport): string {
  if (!r.baseline || r.baseline.length === 0) return '';
  const keys = ['hit@1', 'recall@5', 'precision@5', 'mrr@10', 'ndcg@10', 'cp@5'];
  const signed = (x: number | undefined) => (x === undefined ? '–' : `${x >= 0 ? '+' : ''}${fmt(x)}`);
  const rows = r.baseline.map((g) => [escapeHtml(g.dataset), ...keys.map((k) => signed(g.gap[k])), fmt(g.latencyRatio, 2), g.beatsOnEvery ? 'yes' : '<b>no</b>']);
  return `<section><h2>qbank vs the LangChain.js baseline</h2><p>Difference hybrid+rerank − baseline; latency ratio = baseline p50 / qbank p50.</p>${table(['dataset', ...keys, 'latency ratio', 'beats on every metric'], rows)}</section>`;
}

function peersSection(r: EvalReport): string {
  return r.peers
    .map((p) => {
      const keys = [...new Set(p.rows.flatMap((x) => Object.keys(x.metrics)))];
      const pct = keys.some((k) => k.startsWith('Pass'));
      const rows = p.rows.map((x) => [`${x.published ? '<i>published</i> · ' : ''}${escapeHtml(x.pipeline)}`, ...keys.map((k) => (pct ? `${fmt(x.metrics[k], 2)}%` : fmt(x.metrics[k])))]);
      const chart = groupedBarsSvg(`${p.name}: qbank vs published`, keys, p.rows.map((x) => ({ name: `${x.published ? '(pub) ' : ''}${x.pipeline}`, values: keys.map((k) => x.metrics[k] ?? 0) })), pct ? 100 : 1, pct ? (v) => v.toFixed(1) : undefined);
      return `<section><h2>Peer benchmark — ${escapeHtml(p.name)}</h2><p>${p.queries} queries; ${escapeHtml(p.corpus)}. Targets: ${Object.entries(p.targets).map(([k, v]) => `${escapeHtml(k)} ≥ ${v}`).join(', ')}.</p>${table(['pipeline', ...keys], rows)}${p.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('')}<div class="charts">${chart}</div></section>`;
    })
    .join('');
}

function worstSection(r: EvalReport): string {
  if (r.worst.length === 0) return '';
  const items = r.worst
    .map(
      (w) =>
        `<li><div><span class="tag">${escapeHtml(w.dataset)}/${escapeHtml(w.kind)}</span> <b>${escapeHtml(w.question)}</b> <span class="desc">score ${w.score.toFixed(2)} · ${escapeHtml(w.id)}</span></div><ol>${w.retrieved
          .map((x) => `<li class="${x.gold ? 'hit' : 'miss'}">${x.gold ? '✓' : '✗'} <code>${escapeHtml(x.file)}</code> ${escapeHtml(x.title)}<div class="desc">${escapeHtml(x.snippet)}</div></li>`)
          .join('')}</ol><div class="desc">gold: ${w.gold.map(escapeHtml).join(' | ')}</div></li>`,
    )
    .join('');
  return `<section><h2>Worst-scoring questions (hybrid+rerank) and what was retrieved</h2><ul class="worst">${items}</ul></section>`;
}

export function renderHtml(r: EvalReport): string {
  const datasets = r.datasets.map((d) => `<li><b>${escapeHtml(d.name)}</b>: ${d.items} items (${d.answerable} answerable, ${d.unanswerable} unanswerable) — ${Object.entries(d.kinds).map(([k, n]) => `${escapeHtml(k)} ${n}`).join(', ')}</li>`).join('');
  const versions = r.metricVersions.map((m) => [escapeHtml(m.label), escapeHtml(m.version)]);
  const retrieval = r.datasets.map((d) => retrievalSection(r, d.name, r.retrieval.filter((x) => x.dataset === d.name && x.group !== 'store')) + storesSection(r, d.name)).join('');
  const best = Object.entries(r.best).map(([d, s]) => `${escapeHtml(d)}: <b>${escapeHtml(s)}</b>`).join('; ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>qbank eval report</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#111827;max-width:1200px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
table{border-collapse:collapse;font-size:12px;margin:8px 0} th,td{padding:3px 8px;border-bottom:1px solid #f3f4f6;text-align:left;vertical-align:top}
th{background:#f9fafb} td.num{text-align:right;font-variant-numeric:tabular-nums}
.desc{color:#6b7280;font-size:11px} .note{color:#4b5563;font-size:12px} .charts{display:flex;flex-wrap:wrap;gap:24px;margin-top:8px}
.tag{background:#eef2ff;color:#3730a3;border-radius:4px;padding:0 4px;font-size:11px} ul.worst>li{margin-bottom:10px}
li.hit{color:#166534} li.miss{color:#991b1b} code{font-size:11px}
</style></head><body>
<h1>qbank evaluation report</h1>
<p class="desc">${escapeHtml(r.createdAt)}${r.commit ? ` · commit ${escapeHtml(r.commit)}` : ''} · ${r.machine.cpus} CPUs · Node ${escapeHtml(r.machine.node)}</p>
<p>Models: embedder <code>${escapeHtml(r.models.embedder)}</code>; reranker <code>${escapeHtml(r.models.reranker)}</code>; LLM answers <code>${escapeHtml(r.models.llm ?? 'none')}</code>; judge <code>${escapeHtml(r.models.judge ?? 'none — judge-free metric versions')}</code>.</p>
${best ? `<p>Best configuration (mean of MRR@10, Recall@5, nDCG@10): ${best}</p>` : ''}
${datasets ? `<ul>${datasets}</ul>` : ''}
${retrieval}${baselineSection(r)}${answersSection(r)}${peersSection(r)}${worstSection(r)}
${r.notes.length ? `<section><h2>Notes</h2>${r.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('')}</section>` : ''}
${versions.length ? `<section><h2>Metric versions</h2>${table(['metric', 'definition'], versions, 99)}</section>` : ''}
</body></html>
`;
}
