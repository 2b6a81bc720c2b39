import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Chunk } from '../src/ports/chunk.js';
import { analyze } from '../src/lang/analyzer.js';
import { packageRoot } from '../src/util/package-root.js';
import { DEFAULT_CHUNK_OPTIONS } from '../ingest/chunk.js';
import { chunkSource } from '../ingest/chunk-source.js';
import { listSourceFiles, readSourceFile } from '../ingest/source-files.js';
import type { EvalItem, GoldRef } from './dataset.js';
import { paraphrases, stableHash, type Paraphrase } from './paraphrase.js';

/**
 * Builds the automatically labelled evaluation set from the bank itself, like RAGAS's test-set
 * generation but deterministic and offline: every question heading, follow-up question and
 * question-list item of the English documents is reworded by rule (`paraphrase.ts`) and
 * labelled with the passage that answers it, as `{file, quote}` so labels survive re-chunking.
 *
 * Labels: a heading's gold is the first sentence of its answer; other headings asking nearly
 * the same question (term Jaccard ≥ 0.5) are alternatives in the same facet. A follow-up's gold
 * is its parent's answer, plus any heading asking nearly the same; the bank rarely answers a
 * follow-up in full, so that kind is the noisiest. A list item's gold is the item itself.
 *
 * Run: `node dist/eval/build-auto-set.js` (writes eval/datasets/auto.jsonl).
 */

/** Term Jaccard above which two questions count as the same question. */
const SAME_QUESTION_JACCARD = 0.5;
/** Longest gold quote, in characters (cut at a word boundary). */
const MAX_QUOTE = 160;

interface Heading {
  file: string;
  number: number;
  title: string;
  quote: string;
  reference: string;
  followUps: string[];
  terms: Set<string>;
}

function strip(title: string): string {
  return title.replace(/^Q\d+[.:)]\s*/i, '').trim();
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let both = 0;
  for (const t of a) if (b.has(t)) both++;
  return both / (a.size + b.size - both);
}

const NOT_CONTENT = /^(?:difficulty|category|answer|model answer|follow-?ups?|code|key insight|pro tip|click to expand)\b/i;

/** A verbatim line of the passage's answer that is unique in the file, cut to `MAX_QUOTE`. */
export function answerQuote(fileText: string, chunk: Pick<Chunk, 'start' | 'end'>): string | undefined {
  const span = fileText.slice(chunk.start, chunk.end);
  for (const line of span.split('\n').slice(1)) {
    let t = line.trim();
    if (t.length < 40 || NOT_CONTENT.test(t) || t.endsWith('?')) continue;
    if (t.length > MAX_QUOTE) t = t.slice(0, t.lastIndexOf(' ', MAX_QUOTE)).trim();
    const at = fileText.indexOf(t);
    if (at >= chunk.start && at + t.length <= chunk.end) return t;
  }
  return undefined;
}

function firstSentences(text: string, maxChars = 500): string {
  const sentences = [...new Intl.Segmenter('en', { granularity: 'sentence' }).segment(text.replace(/\s+/g, ' '))].map((s) => s.segment.trim());
  let out = '';
  for (const s of sentences) {
    if (out && out.length + s.length > maxChars) break;
    out = out ? `${out} ${s}` : s;
  }
  return out;
}

/** Headings and list items of the English documents, read through qbank's own chunker. */
async function readBank(corpusDir: string): Promise<{ headings: Heading[]; listItems: { file: string; text: string }[] }> {
  const headings: Heading[] = [];
  const listItems: { file: string; text: string }[] = [];
  for (const file of await listSourceFiles(corpusDir)) {
    const source = await readSourceFile(corpusDir, file);
    if (!('text' in source)) continue;
    const chunks = chunkSource(source, { chunk: DEFAULT_CHUNK_OPTIONS, jsonFields: { id: 'id', title: 'title', text: 'text', url: 'url' } });
    for (const c of chunks) {
      if (c.lang !== 'en') continue;
      if (c.kind === 'qa' && c.title && (!c.part || c.part.index === 0)) {
        const quote = answerQuote(source.text, c);
        if (!quote) continue;
        const title = strip(c.title);
        headings.push({ file, number: c.questionNumber ?? 0, title, quote, reference: firstSentences(c.text), followUps: c.followUps ?? [], terms: new Set(analyze(title, 'en')) });
      } else if (c.kind === 'question-list') {
        for (const line of source.text.slice(c.start, c.end).split('\n')) {
          const item = line.replace(/^\s*(?:[-*+•]|\d+[.)])\s+/, '').trim();
          if (item.length < 25 || item.length > 200) continue;
          if (!item.endsWith('?') && !/^(?:design|explain|implement|compare|describe|derive|build|walk)\b/i.test(item)) continue;
          if (source.text.indexOf(item) < c.start) continue;
          listItems.push({ file, text: item });
        }
      }
    }
  }
  return { headings, listItems };
}

/** Picks `n` variants, spreading rules across the set by a stable hash of the question. */
function pick(variants: readonly Paraphrase[], n: number, key: string): Paraphrase[] {
  if (variants.length <= n) return [...variants];
  const offset = stableHash(key) % variants.length;
  return [...variants.slice(offset), ...variants.slice(0, offset)].slice(0, n);
}

export async function buildAutoSet(corpusDir: string): Promise<EvalItem[]> {
  const { headings, listItems } = await readBank(corpusDir);
  const sameAs = (terms: ReadonlySet<string>, except?: Heading): GoldRef[] =>
    headings.filter((h) => h !== except && jaccard(terms, h.terms) >= SAME_QUESTION_JACCARD).map((h) => ({ file: h.file, quote: h.quote }));
  const items: EvalItem[] = [];
  const seen = new Set<string>();
  const push = (id: string, question: string, kind: string, rule: string, facet: GoldRef[], reference = '') => {
    const key = question.toLowerCase();
    if (seen.has(key)) return;
    seen.add(key);
    const unique = [...new Map(facet.map((g) => [JSON.stringify(g), g])).values()];
    items.push({ id, question, lang: 'en', kind, tags: [rule], answerable: true, gold: [unique], reference });
  };
  for (const h of headings) {
    const base = `auto-${h.file.slice(0, 3)}-q${h.number}`;
    const own: GoldRef = { file: h.file, quote: h.quote };
    const variants = paraphrases(h.title);
    // Template and synonym rewrites when they exist, plus one word-dropping or reordering variant.
    const chosen = [...variants.filter((v) => v.rule === 'template' || v.rule === 'synonym'), ...pick(variants.filter((v) => v.rule === 'keywords' || v.rule === 'reorder'), 1, h.title)];
    for (const v of chosen) push(`${base}-${v.rule}`, v.text, 'auto-heading', v.rule, [own, ...sameAs(h.terms, h)], h.reference);
    h.followUps.forEach((f, i) => {
      const [v] = pick(paraphrases(f), 1, f);
      if (v) push(`${base}-f${i + 1}-${v.rule}`, v.text, 'auto-followup', v.rule, [own, ...sameAs(new Set(analyze(f, 'en')))]);
    });
  }
  listItems.forEach((li, i) => {
    const [v] = pick(paraphrases(li.text), 1, li.text);
    if (v) push(`auto-${li.file.slice(0, 3)}-l${i + 1}-${v.rule}`, v.text, 'auto-list', v.rule, [{ file: li.file, quote: li.text }, ...sameAs(new Set(analyze(li.text, 'en')))]);
  });
  return items;
}

export function toJsonl(items: readonly EvalItem[]): string {
  const head = '// Generated by eval/build-auto-set.ts from the corpus; do not edit by hand (rerun it instead).';
  return `${[head, ...items.map((i) => JSON.stringify(i))].join('\n')}\n`;
}

async function main(): Promise<void> {
  const root = packageRoot();
  const items = await buildAutoSet(join(root, 'corpus'));
  const out = join(root, 'eval', 'datasets', 'auto.jsonl');
  writeFileSync(out, toJsonl(items));
  const kinds = new Map<string, number>();
  for (const i of items) kinds.set(i.kind, (kinds.get(i.kind) ?? 0) + 1);
  console.log(`Wrote ${items.length} items to ${out}: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
