import type { AbstainSignals } from './searcher.js';

/**
 * Thresholds of the abstention rule, calibrated on the development set's answerable and
 * unanswerable questions (`npm run eval:retrieval` prints the sweep).
 */
export const ABSTAIN_THRESHOLDS = {
  /** Below this dense similarity of the best passage, the bank does not cover the question… */
  minDense: 0.3,
  /** …unless at least this share of the query's terms is in the best passage. */
  minCoverage: 0.6,
} as const;

/** Abstain when the best passage is neither semantically close nor lexically covering the query. */
export function decideAbstain(s: AbstainSignals, t: { minDense: number; minCoverage: number } = ABSTAIN_THRESHOLDS): boolean {
  return s.topDense < t.minDense && (s.queryTerms === 0 || s.topCoverage < t.minCoverage);
}
