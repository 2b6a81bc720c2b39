import type { Chunk } from '../src/ports/chunk.js';
import type { EvalItem, GoldRef } from './dataset.js';

/** What gold resolution needs of a chunk: its id and its span in its file (qbank's or a baseline's). */
export type SpanChunk = Pick<Chunk, 'id' | 'start' | 'end'>;

/** Per item, per facet: the ids of the chunks that satisfy it. */
export type ResolvedGold = Map<string, Set<string>[]>;

/** Thrown when a gold quote is not in its file: the dataset and the corpus disagree. */
export class GoldResolutionError extends Error {}

/**
 * Maps each gold reference to the chunks that hold it. A quote is held by every chunk whose
 * source span covers at least half of the quote's span, so a label survives re-chunking.
 */
export function resolveGold(items: readonly EvalItem[], chunksByFile: ReadonlyMap<string, readonly SpanChunk[]>, fileText: (file: string) => string): ResolvedGold {
  const out: ResolvedGold = new Map();
  for (const item of items) {
    out.set(
      item.id,
      item.gold.map((facet) => {
        const ids = new Set<string>();
        for (const ref of facet) for (const id of chunksFor(ref, chunksByFile, fileText, item.id)) ids.add(id);
        return ids;
      }),
    );
  }
  return out;
}

function chunksFor(ref: GoldRef, chunksByFile: ReadonlyMap<string, readonly SpanChunk[]>, fileText: (file: string) => string, itemId: string): string[] {
  if ('chunkId' in ref) return [ref.chunkId];
  const chunks = chunksByFile.get(ref.file) ?? [];
  if (!('quote' in ref)) return chunks.map((c) => c.id);
  const text = fileText(ref.file);
  const at = text.indexOf(ref.quote);
  if (at < 0) throw new GoldResolutionError(`${itemId}: the quote "${ref.quote.slice(0, 60)}…" is not in ${ref.file}`);
  const end = at + ref.quote.length;
  return chunks.filter((c) => Math.min(c.end, end) - Math.max(c.start, at) >= ref.quote.length / 2).map((c) => c.id);
}
