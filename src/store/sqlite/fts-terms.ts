/**
 * Analysed terms as FTS5 sees them. Each term is written as the hex of its UTF-8 bytes, so
 * every term — "gpt-4", "c++", "p99", "naïve", even "NEAR" or `"` — is exactly one FTS5 token
 * that the tokenizer neither splits, folds nor interprets. Document lengths in tokens then
 * equal the number of terms, which keeps `bm25()` identical to textbook BM25 over the terms.
 * Rows are deleted by re-encoding the stored terms, so changing this encoding needs a new
 * `SCHEMA_VERSION`.
 *
 * @example
 * ftsToken('gpt-4'); // '6770742d34'
 * ftsDocument(['gpt', 'gpt-4']); // '677074 6770742d34'
 * ftsMatchExpression(['gpt', 'gpt']); // '"677074" OR "677074"' (a repeated term weighs twice)
 */
export function ftsToken(term: string): string {
  return Buffer.from(term, 'utf8').toString('hex');
}

/** The text indexed for a chunk: one token per non-empty term, in order. */
export function ftsDocument(terms: readonly string[]): string {
  let out = '';
  for (const term of terms) {
    if (term === '') continue;
    out += out === '' ? ftsToken(term) : ` ${ftsToken(term)}`;
  }
  return out;
}

/**
 * An FTS5 MATCH expression that ORs the terms together, each quoted as an FTS5 string, or
 * `undefined` when no non-empty term is left. Duplicates are kept: `bm25()` scores each
 * phrase separately, so a term asked for twice counts twice.
 */
export function ftsMatchExpression(terms: readonly string[]): string | undefined {
  const phrases: string[] = [];
  for (const term of terms) {
    // Hex tokens never contain quotes; escaping anyway keeps the expression safe by construction.
    if (term !== '') phrases.push(`"${ftsToken(term).replaceAll('"', '""')}"`);
  }
  return phrases.length === 0 ? undefined : phrases.join(' OR ');
}
