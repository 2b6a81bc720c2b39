import type { ScoredId } from '../ports/store.js';

/** One ranked list going into fusion. */
export interface RankedList {
  name: string;
  /** Multiplies this list's contribution. */
  weight: number;
  items: readonly ScoredId[];
}

export interface FusedItem {
  id: string;
  fused: number;
  /** The item's score in each list it appears in, by list name. */
  scores: Record<string, number>;
}

/**
 * Reciprocal rank fusion (Cormack et al., 2009): Σ weight / (k + rank), rank from 1.
 * Lists with the same name (e.g. two dense queries) keep the best score per item.
 *
 * @example
 * reciprocalRankFusion([{ name: 'bm25', weight: 1, items }, { name: 'dense', weight: 1, items: dense }], 60)
 */
export function reciprocalRankFusion(lists: readonly RankedList[], k: number): FusedItem[] {
  const byId = new Map<string, FusedItem>();
  for (const list of lists) {
    list.items.forEach((item, index) => {
      let entry = byId.get(item.id);
      if (!entry) {
        entry = { id: item.id, fused: 0, scores: {} };
        byId.set(item.id, entry);
      }
      entry.fused += list.weight / (k + index + 1);
      const prev = entry.scores[list.name];
      if (prev === undefined || item.score > prev) entry.scores[list.name] = item.score;
    });
  }
  return [...byId.values()].sort((a, b) => b.fused - a.fused || (a.id < b.id ? -1 : 1));
}
