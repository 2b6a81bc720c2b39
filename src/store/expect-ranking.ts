import { expect } from 'vitest';
import type { ScoredId } from '../ports/store.js';

/**
 * Asserts that `actual` is a correct top-`limit` ranking of `reference` (id → score, higher
 * better), tolerant to ties: same length, each score equal to its reference score within
 * `tolerance`, scores non-increasing, and no left-out id scoring clearly above the last one kept.
 *
 * @example
 * expectRanking(await store.keywordSearch(q, 5), bm25Reference(docs, q), 5, 1e-9);
 */
export function expectRanking(actual: readonly ScoredId[], reference: ReadonlyMap<string, number>, limit: number, tolerance: number): void {
  expect(actual.length).toBe(Math.min(limit, reference.size));
  const ids = new Set<string>();
  let previous = Number.POSITIVE_INFINITY;
  for (const { id, score } of actual) {
    expect(ids.has(id), `duplicate id ${id}`).toBe(false);
    ids.add(id);
    const want = reference.get(id);
    expect(want, `unexpected id ${id}`).toBeDefined();
    expect(Math.abs(score - (want ?? Number.NaN)), `score of ${id}: got ${score}, want ${want}`).toBeLessThanOrEqual(tolerance);
    expect(score, `ranking not sorted at ${id}`).toBeLessThanOrEqual(previous + tolerance);
    previous = score;
  }
  const last = actual.at(-1)?.score ?? Number.POSITIVE_INFINITY;
  for (const [id, score] of reference) {
    if (!ids.has(id)) expect(score, `${id} (score ${score}) was left out but beats ${last}`).toBeLessThanOrEqual(last + tolerance);
  }
}
