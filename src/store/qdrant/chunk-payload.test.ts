import { describe, expect, it } from 'vitest';
import type { StoredChunk } from '../../ports/chunk.js';
import { termKey } from './bm25-weights.js';
import { bodyPayload, CHUNK_FIELDS, chunkPayload, decodeVector, encodeTermFrequencies, payloadToChunk, termFrequencyEntries, termFrequencyOf } from './chunk-payload.js';

const base: StoredChunk = {
  id: 'c1', file: 'a.txt', start: 0, end: 10, text: 't', embedText: 'e', section: ['LLM Basics', 'Fine-Tuning'], lang: 'en', kind: 'qa',
  footnotes: [{ id: '1', url: 'https://x.org' }], terms: ['gqa', 'mqa', 'gqa', ''], vector: new Float32Array([1, 0]),
};

describe('chunk payload', () => {
  it('round-trips a chunk through its body payload, read back by CHUNK_FIELDS only', () => {
    const full: StoredChunk = { ...base, title: '', questionNumber: 0, difficulty: 'Hard', roles: [], followUps: ['why?'], part: { index: 0, count: 2 } };
    for (const c of [base, full]) {
      const p = JSON.parse(JSON.stringify(bodyPayload(c, 3))) as Record<string, unknown>;
      const readBack = Object.fromEntries(Object.entries(p).filter(([k]) => (CHUNK_FIELDS as readonly string[]).includes(k)));
      const { terms: _t, vector: _v, ...chunk } = c;
      expect(payloadToChunk(readBack)).toStrictEqual(chunk);
    }
  });

  it('keeps only the id, filter and BM25 fields on the search point, and the vector in the body', () => {
    const p = chunkPayload({ ...base, difficulty: 'Hard' }, 3, 40);
    expect(p).toStrictEqual({
      doc: 'chunk', id: 'c1', file: 'a.txt', ord: 3, lang: 'en', section_lc: ['llm basics', 'fine-tuning'], difficulty_lc: 'hard', len: 3, avgdl: 40,
      tf: `${termKey('gqa')}:2 ${termKey('mqa')}:1`,
    });
    expect('difficulty_lc' in chunkPayload(base, 0, 40)).toBe(false);
    const body = bodyPayload(base, 3);
    expect(body).toMatchObject({ doc: 'body', id: 'c1', file: 'a.txt', ord: 3 });
    expect(decodeVector(body.vec)).toEqual(new Float32Array([1, 0]));
  });

  it('reads term frequencies back from the tf string, by whole keys only', () => {
    const terms = ['a', 'aa', 'gpt-4', 'naïve', 'x'];
    const tf = encodeTermFrequencies(new Map([['aa', 3], ['a', 1], ['gpt-4', 12], ['naïve', 2]]));
    expect(termFrequencyEntries(tf)).toEqual([[termKey('aa'), 3], [termKey('a'), 1], [termKey('gpt-4'), 12], [termKey('naïve'), 2]]);
    expect(terms.map((t) => termFrequencyOf(tf, termKey(t)))).toEqual([1, 3, 12, 2, 0]);
    expect(termFrequencyEntries('')).toEqual([]);
    expect(termFrequencyOf('', termKey('a'))).toBe(0);
  });

  it('keeps every float32 of a vector exactly', () => {
    const v = new Float32Array([0.1, -1e-30, 3.4e38, Number.MIN_VALUE, -0, 1 / 3]);
    const back = decodeVector((JSON.parse(JSON.stringify(bodyPayload({ ...base, vector: v }, 0))) as { vec: string }).vec);
    expect([...back].map((x) => Object.is(x, -0) ? '-0' : x)).toEqual([...v].map((x) => Object.is(x, -0) ? '-0' : x));
  });
});
