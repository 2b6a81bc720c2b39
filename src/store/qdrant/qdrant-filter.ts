import type { Schemas } from '@qdrant/js-client-rest';
import type { SearchFilter } from '../../ports/store.js';

/** A filter no chunk can pass (an empty list of files, difficulties or languages). */
export const MATCHES_NOTHING = Symbol('matches nothing');

/**
 * A `SearchFilter` as a Qdrant filter over chunk payloads (see `chunk-payload.ts`), with the
 * contract's semantics:
 * - `file`, `lang`: exact values (`match.any`, keyword indexes);
 * - `difficulty`: exact, case-insensitive, via the lower-cased `difficulty_lc` (keyword index);
 *   a chunk without a difficulty never matches;
 * - `section`: case-insensitive substring of one element of the path, via `match.text` on the
 *   lower-cased `section_lc`. That field deliberately has no full-text index: with one, Qdrant
 *   matches whole tokens instead of substrings ("FINE-tun" would stop matching "fine-tuning").
 *   An array value matches when any element does, so a needle never spans two headings.
 *   The empty needle matches every chunk that has a section path.
 * - an empty list narrows to nothing: `MATCHES_NOTHING`, and the store skips the request.
 *
 * @example
 * toQdrantFilter({ lang: ['de'], section: 'Fine' });
 * // { must: [{ key: 'section_lc', match: { text: 'fine' } }, { key: 'lang', match: { any: ['de'] } }] }
 */
export function toQdrantFilter(filter: SearchFilter | undefined): Schemas['Filter'] | undefined | typeof MATCHES_NOTHING {
  if (filter === undefined) return undefined;
  const must: Schemas['FieldCondition'][] = [];
  if (filter.file !== undefined) {
    if (filter.file.length === 0) return MATCHES_NOTHING;
    must.push({ key: 'file', match: { any: [...filter.file] } });
  }
  const mustNot: Schemas['Condition'][] = [];
  if (filter.section !== undefined) {
    // The empty needle is a substring of every heading: it matches any chunk with a section path.
    if (filter.section === '') mustNot.push({ is_empty: { key: 'section_lc' } });
    else must.push({ key: 'section_lc', match: { text: filter.section.toLowerCase() } });
  }
  if (filter.difficulty !== undefined) {
    if (filter.difficulty.length === 0) return MATCHES_NOTHING;
    must.push({ key: 'difficulty_lc', match: { any: filter.difficulty.map((d) => d.toLowerCase()) } });
  }
  if (filter.lang !== undefined) {
    if (filter.lang.length === 0) return MATCHES_NOTHING;
    must.push({ key: 'lang', match: { any: [...filter.lang] } });
  }
  if (must.length === 0 && mustNot.length === 0) return undefined;
  return mustNot.length === 0 ? { must } : { must, must_not: mustNot };
}
