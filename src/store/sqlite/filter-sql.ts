import type { SearchFilter } from '../../ports/store.js';

/**
 * A `SearchFilter` as SQL over the `chunks` table. Statements depend only on which fields are
 * present (`key`), so a store prepares each shape once and binds the values as named parameters.
 *
 * @example
 * const f = filterSql({ lang: ['de'], section: 'Fine-Tuning' }, 'c');
 * // f.key === '--sl', f.where === '(EXISTS (...) AND c.lang IN (...))'
 * // f.params === { section: 'fine-tuning', lang: '["de"]' }
 */
export interface FilterSql {
  /** Which fields are present, e.g. `f-d-`; equal keys mean equal `where` text. */
  key: string;
  /** A boolean SQL expression, `1` when nothing narrows. */
  where: string;
  params: Record<string, string>;
}

export function filterSql(filter: SearchFilter | undefined, alias: string): FilterSql {
  const clauses: string[] = [];
  const params: Record<string, string> = {};
  let key = '';
  if (filter?.file !== undefined) {
    clauses.push(`${alias}.file IN (SELECT value FROM json_each($file))`);
    params['file'] = JSON.stringify(filter.file);
    key += 'f';
  } else key += '-';
  if (filter?.section !== undefined) {
    // section_lc holds the lower-cased path as a JSON array: matching per element keeps a needle
    // from spanning two headings.
    clauses.push(`EXISTS (SELECT 1 FROM json_each(${alias}.section_lc) WHERE instr(value, $section) > 0)`);
    params['section'] = filter.section.toLowerCase();
    key += 's';
  } else key += '-';
  if (filter?.difficulty !== undefined) {
    clauses.push(`${alias}.difficulty_lc IN (SELECT value FROM json_each($difficulty))`);
    params['difficulty'] = JSON.stringify(filter.difficulty.map((d) => d.toLowerCase()));
    key += 'd';
  } else key += '-';
  if (filter?.lang !== undefined) {
    clauses.push(`${alias}.lang IN (SELECT value FROM json_each($lang))`);
    params['lang'] = JSON.stringify(filter.lang);
    key += 'l';
  } else key += '-';
  return { key, where: clauses.length === 0 ? '1' : `(${clauses.join(' AND ')})`, params };
}
