import { describe, expect, it } from 'vitest';
import { ftsDocument, ftsMatchExpression, ftsToken } from './fts-terms.js';

describe('fts terms', () => {
  it('encodes any term as a single hex token', () => {
    for (const term of ['gpt-4', 'c++', 'NEAR', '"', 'a b', 'naïve', '🚀']) {
      expect(ftsToken(term)).toMatch(/^[0-9a-f]+$/);
      expect(Buffer.from(ftsToken(term), 'hex').toString('utf8')).toBe(term);
    }
  });

  it('keeps case and punctuation distinct', () => {
    expect(ftsToken('GPT')).not.toBe(ftsToken('gpt'));
    expect(ftsToken('gpt-4')).not.toBe(ftsToken('gpt4'));
  });

  it('skips empty terms in documents and queries', () => {
    expect(ftsDocument(['a', '', 'b'])).toBe(`${ftsToken('a')} ${ftsToken('b')}`);
    expect(ftsMatchExpression([])).toBeUndefined();
    expect(ftsMatchExpression(['', ''])).toBeUndefined();
  });

  it('ORs quoted phrases and keeps duplicates', () => {
    expect(ftsMatchExpression(['a', 'a', '*'])).toBe(`"${ftsToken('a')}" OR "${ftsToken('a')}" OR "${ftsToken('*')}"`);
  });
});
