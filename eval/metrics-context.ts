import { stringSimilarity } from './metrics-text.js';
import type { Facets, Retrieved } from './metrics.js';

/**
 * RAGAS's context metrics. Each is given in RAGAS's own form (ids or texts) and, where the
 * dev sets need it, over facets: a facet is satisfied by any one of its alternative chunks.
 */

/**
 * RAGAS's average precision over relevance verdicts v_1..v_K of the ranked contexts:
 * CP@K = Σ_k (Precision@k · v_k) / (Σ_k v_k + 1e-10). 0 when nothing is relevant.
 */
export function averagePrecisionOfVerdicts(verdicts: readonly (0 | 1)[]): number {
  let hits = 0;
  let numerator = 0;
  verdicts.forEach((v, i) => {
    hits += v;
    numerator += (hits / (i + 1)) * v;
  });
  return numerator / (hits + 1e-10);
}

/** Context precision with reference (ID-based verdicts): a result is relevant when it satisfies a facet. */
export function contextPrecisionAtK(retrieved: Retrieved, facets: Facets, k: number): number {
  return averagePrecisionOfVerdicts(retrieved.slice(0, k).map((r) => (facets.some((f) => r.some((id) => f.has(id))) ? 1 : 0)));
}

/** RAGAS `IDBasedContextRecall`: share of the distinct reference ids among the retrieved ids; NaN without references. */
export function idBasedContextRecall(retrievedIds: readonly string[], referenceIds: readonly string[]): number {
  const reference = new Set(referenceIds);
  if (reference.size === 0) return Number.NaN;
  const retrieved = new Set(retrievedIds);
  return [...reference].filter((id) => retrieved.has(id)).length / reference.size;
}

/** RAGAS `IDBasedContextPrecision`: share of the distinct retrieved ids that are reference ids; NaN when nothing was retrieved. */
export function idBasedContextPrecision(retrievedIds: readonly string[], referenceIds: readonly string[]): number {
  const retrieved = new Set(retrievedIds);
  if (retrieved.size === 0) return Number.NaN;
  const reference = new Set(referenceIds);
  return [...retrieved].filter((id) => reference.has(id)).length / retrieved.size;
}

/** Default similarity threshold of RAGAS's non-LLM context metrics. */
export const NON_LLM_THRESHOLD = 0.5;

/**
 * RAGAS `NonLLMContextRecall`: share of reference contexts whose best Levenshtein similarity
 * to some retrieved context is strictly above the threshold.
 */
export function nonLlmContextRecall(retrievedContexts: readonly string[], referenceContexts: readonly string[], threshold = NON_LLM_THRESHOLD): number {
  if (referenceContexts.length === 0 || retrievedContexts.length === 0) return Number.NaN;
  const recalled = referenceContexts.map((ref) => Math.max(0, ...retrievedContexts.map((rc) => stringSimilarity(rc, ref))) > threshold);
  return recalled.filter(Boolean).length / recalled.length;
}

/**
 * RAGAS `NonLLMContextPrecisionWithReference`: a retrieved context is relevant when its best
 * similarity to a reference context is at least the threshold; scored by average precision.
 */
export function nonLlmContextPrecision(retrievedContexts: readonly string[], referenceContexts: readonly string[], threshold = NON_LLM_THRESHOLD): number {
  if (referenceContexts.length === 0 || retrievedContexts.length === 0) return Number.NaN;
  return averagePrecisionOfVerdicts(retrievedContexts.map((rc) => (Math.max(0, ...referenceContexts.map((ref) => stringSimilarity(rc, ref))) >= threshold ? 1 : 0)));
}
