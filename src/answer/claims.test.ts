import { describe, expect, it } from 'vitest';
import { parseClaims } from './claims.js';

describe('parseClaims', () => {
  it('finds each sentence with its markers and their offsets', () => {
    const answer = 'GQA shares KV heads [1]. MQA uses one. [2]';
    const claims = parseClaims(answer);
    expect(claims).toEqual([
      { text: 'GQA shares KV heads.', markers: [{ start: 20, end: 23, ns: [1] }] },
      { text: 'MQA uses one.', markers: [{ start: 39, end: 42, ns: [2] }] },
    ]);
    for (const m of claims.flatMap((c) => c.markers)) expect(answer.slice(m.start, m.end)).toMatch(/^\[\d\]$/);
  });

  it('reads grouped, repeated and "Source n" markers', () => {
    const claims = parseClaims('RoPE rotates queries and keys [1, 3][2]. ALiBi adds a bias [Source 4].');
    expect(claims.map((c) => c.markers.flatMap((m) => m.ns))).toEqual([[1, 3, 2], [4]]);
    expect(claims[0]?.text).toBe('RoPE rotates queries and keys.');
  });

  it('gives markers after the full stop to the sentence before them', () => {
    const claims = parseClaims('First claim here. [1][2] Second claim there. [3]');
    expect(claims.map((c) => [c.text, c.markers.flatMap((m) => m.ns)])).toEqual([
      ['First claim here.', [1, 2]],
      ['Second claim there.', [3]],
    ]);
  });

  it('splits list items and strips markdown marks', () => {
    const claims = parseClaims('- **LoRA** trains low-rank adapters [1]\n- QLoRA quantizes the base model to 4-bit [2]\n\nThe sources do not cover DoRA.');
    expect(claims.map((c) => c.text)).toEqual(['LoRA trains low-rank adapters', 'QLoRA quantizes the base model to 4-bit', 'The sources do not cover DoRA.']);
    expect(claims[2]?.markers).toEqual([]);
  });

  it('ends a claim at a marker followed by a new sentence without a full stop, not mid-sentence', () => {
    expect(parseClaims('score = softmax(QK^T / sqrt(d_k)) * V [1] Without the scaling, gradients vanish [2]').map((c) => [c.text, c.markers.flatMap((m) => m.ns)])).toEqual([
      ['score = softmax(QK^T / sqrt(d_k)) * V', [1]],
      ['Without the scaling, gradients vanish', [2]],
    ]);
    expect(parseClaims('GQA groups heads [1] and cuts memory [2].').map((c) => c.markers.flatMap((m) => m.ns))).toEqual([[1, 2]]);
  });
});
