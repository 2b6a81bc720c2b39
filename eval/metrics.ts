/**
 * Retrieval metrics over facets: an item's gold is a list of facets, each satisfied by any one
 * of its alternative chunks. `retrieved` is the ranked list of results, each with the ids it
 * stands for (its own and those of near-duplicates folded into it).
 */
export type Retrieved = readonly (readonly string[])[];
export type Facets = readonly ReadonlySet<string>[];

function satisfies(result: readonly string[], facet: ReadonlySet<string>): boolean {
  return result.some((id) => facet.has(id));
}

/** 1 when any facet is satisfied in the top k. */
export function hitAtK(retrieved: Retrieved, facets: Facets, k: number): number {
  return retrieved.slice(0, k).some((r) => facets.some((f) => satisfies(r, f))) ? 1 : 0;
}

/** Share of facets satisfied in the top k. */
export function recallAtK(retrieved: Retrieved, facets: Facets, k: number): number {
  if (facets.length === 0) return 0;
  const top = retrieved.slice(0, k);
  return facets.filter((f) => top.some((r) => satisfies(r, f))).length / facets.length;
}

/** Share of the top k results that satisfy some facet. */
export function precisionAtK(retrieved: Retrieved, facets: Facets, k: number): number {
  const top = retrieved.slice(0, k);
  if (top.length === 0) return 0;
  return top.filter((r) => facets.some((f) => satisfies(r, f))).length / k;
}

/** 1 / rank of the first result that satisfies any facet, within the top k; 0 when none does. */
export function mrrAtK(retrieved: Retrieved, facets: Facets, k: number): number {
  const i = retrieved.slice(0, k).findIndex((r) => facets.some((f) => satisfies(r, f)));
  return i < 0 ? 0 : 1 / (i + 1);
}

/** nDCG@k with binary gains: a result gains 1 when it satisfies a facet not satisfied above it. */
export function ndcgAtK(retrieved: Retrieved, facets: Facets, k: number): number {
  if (facets.length === 0) return 0;
  const done = new Set<number>();
  let dcg = 0;
  retrieved.slice(0, k).forEach((r, i) => {
    const f = facets.findIndex((facet, j) => !done.has(j) && satisfies(r, facet));
    if (f >= 0) {
      done.add(f);
      dcg += 1 / Math.log2(i + 2);
    }
  });
  let idcg = 0;
  for (let i = 0; i < Math.min(facets.length, k); i++) idcg += 1 / Math.log2(i + 2);
  return dcg / idcg;
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}
