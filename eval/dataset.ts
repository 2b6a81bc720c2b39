import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** A gold reference: a chunk id, a whole document, or a quote that survives re-chunking. */
const GoldRefSchema = z.union([
  z.object({ file: z.string().min(1), quote: z.string().min(1) }),
  z.object({ chunkId: z.string().min(1) }),
  z.object({ file: z.string().min(1) }),
]);
export type GoldRef = z.infer<typeof GoldRefSchema>;

const ItemSchema = z.object({
  id: z.string().min(1),
  question: z.string().min(1),
  lang: z.string().default('en'),
  kind: z.string().default('paraphrase'),
  tags: z.array(z.string()).default([]),
  answerable: z.boolean().default(true),
  /** Facets: each a list of alternative passages, any one of which satisfies it. */
  gold: z.array(z.array(GoldRefSchema)).default([]),
  reference: z.string().default(''),
});
export type EvalItem = z.infer<typeof ItemSchema>;

/** Thrown for a malformed dataset line; names the file and line. */
export class DatasetError extends Error {}

/** Reads a JSONL dataset, one item per line; blank lines and `//` comments are skipped. */
export function loadDataset(path: string): EvalItem[] {
  const items: EvalItem[] = [];
  const ids = new Set<string>();
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim() || line.trim().startsWith('//')) return;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch (cause) {
        throw new DatasetError(`${path}:${i + 1}: not valid JSON (${(cause as Error).message})`);
      }
      const parsed = ItemSchema.safeParse(raw);
      if (!parsed.success) throw new DatasetError(`${path}:${i + 1}: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
      if (ids.has(parsed.data.id)) throw new DatasetError(`${path}:${i + 1}: duplicate id "${parsed.data.id}"`);
      if (parsed.data.answerable && parsed.data.gold.length === 0) throw new DatasetError(`${path}:${i + 1}: an answerable item needs at least one gold facet`);
      ids.add(parsed.data.id);
      items.push(parsed.data);
    });
  return items;
}
