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

/**
 * Reads a JSONL file of records with unique `id`s, each checked by `schema` (and by `check`,
 * which returns a complaint or nothing); blank lines and `//` comments are skipped. Errors
 * name the file and line.
 *
 * @example
 * const attempts = loadJsonl('eval/datasets/graded-attempts.jsonl', AttemptSchema);
 */
export function loadJsonl<S extends z.ZodType<{ id: string }>>(path: string, schema: S, check: (item: z.infer<S>) => string | undefined = () => undefined): z.infer<S>[] {
  const items: z.infer<S>[] = [];
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
      const parsed = schema.safeParse(raw);
      if (!parsed.success) throw new DatasetError(`${path}:${i + 1}: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
      const item = parsed.data as z.infer<S>;
      if (ids.has(item.id)) throw new DatasetError(`${path}:${i + 1}: duplicate id "${item.id}"`);
      const complaint = check(item);
      if (complaint) throw new DatasetError(`${path}:${i + 1}: ${complaint}`);
      ids.add(item.id);
      items.push(item);
    });
  return items;
}

/** Reads a JSONL dataset, one item per line; blank lines and `//` comments are skipped. */
export function loadDataset(path: string): EvalItem[] {
  return loadJsonl(path, ItemSchema, (item) => (item.answerable && item.gold.length === 0 ? 'an answerable item needs at least one gold facet' : undefined));
}
