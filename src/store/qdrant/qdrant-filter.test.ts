import { describe, expect, it } from 'vitest';
import { MATCHES_NOTHING, toQdrantFilter } from './qdrant-filter.js';

describe('toQdrantFilter', () => {
  it('maps nothing to no filter', () => {
    expect(toQdrantFilter(undefined)).toBeUndefined();
    expect(toQdrantFilter({})).toBeUndefined();
  });

  it('maps each field to a condition on the payload field that implements it', () => {
    expect(toQdrantFilter({ file: ['a.txt', 'b.txt'], section: 'Fine-Tuning', difficulty: ['Hard', 'easy'], lang: ['de'] })).toEqual({
      must: [
        { key: 'file', match: { any: ['a.txt', 'b.txt'] } },
        { key: 'section_lc', match: { text: 'fine-tuning' } },
        { key: 'difficulty_lc', match: { any: ['hard', 'easy'] } },
        { key: 'lang', match: { any: ['de'] } },
      ],
    });
  });

  it('lets an empty list match nothing, and an empty section needle match any section path', () => {
    expect(toQdrantFilter({ file: [] })).toBe(MATCHES_NOTHING);
    expect(toQdrantFilter({ difficulty: [], lang: ['en'] })).toBe(MATCHES_NOTHING);
    expect(toQdrantFilter({ lang: [] })).toBe(MATCHES_NOTHING);
    expect(toQdrantFilter({ section: '' })).toEqual({ must: [], must_not: [{ is_empty: { key: 'section_lc' } }] });
  });
});
