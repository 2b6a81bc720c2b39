import { describe, expect, it } from 'vitest';
import type { StoredChunk } from '../../ports/chunk.js';
import { termKey } from './bm25-weights.js';
import { CHUNK_FIELDS, chunkPayload, payloadToChunk } from './chunk-payload.js';

const base: StoredChunk = {
  id: 'c1', file: 'a.txt', start: 0, end: 10, text: 't', embedText: 'e', section: ['LLM Basics', 'Fine-Tuning'], lang: 'en', kind: 'qa',
  footnotes: [{ id: '1', url: 'https://x.org' }], terms: ['gqa', 'mqa', 'gqa', ''], vector: new Float32Array([1, 0]),
};

describe('chunk payload', () => {
  it('round-trips a chunk through its payload, read back by CHUNK_FIELDS only', () => {
    const full: StoredChunk = { ...base, title: '', questionNumber: 0, difficulty: 'Hard', roles: [], followUps: ['why?'], part: { index: 0, count: 2 } };
    for (const c of [base, full]) {
      const p = JSON.parse(JSON.stringify(chunkPayload(c, 3, 40))) as Record<string, unknown>;
      const readBack = Object.fromEntries(Object.entries(p).filter(([k]) => (CHUNK_FIELDS as readonly string[]).includes(k)));
      const { terms: _t, vector: _v, ...chunk } = c;
      expect(payloadToChunk(readBack)).toStrictEqual(chunk);
    }
  });

  it('adds filter and BM25 fields', () => {
    const p = chunkPayload({ ...base, difficulty: 'Hard' }, 3, 40);
    expect(p).toMatchObject({ doc: 'chunk', ord: 3, len: 3, avgdl: 40, section_lc: ['llm basics', 'fine-tuning'], difficulty_lc: 'hard' });
    expect(p.tf).toEqual({ [termKey('gqa')]: 2, [termKey('mqa')]: 1 });
    expect('difficulty_lc' in chunkPayload(base, 0, 40)).toBe(false);
  });
});
