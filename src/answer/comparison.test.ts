import { describe, expect, it } from 'vitest';
import { comparisonSides } from './comparison.js';

describe('comparisonSides', () => {
  it.each([
    ['explain GQA vs MQA', [['gqa'], ['mqa']]],
    ['What is the difference between LoRA and QLoRA?', [['lora'], ['qlora']]],
    ['Compare RoPE with ALiBi', [['rope'], ['alibi']]],
    ['BM25 or dense retrieval?', [['bm25'], ['dens', 'retriev']]],
  ])('%s', (q, sides) => {
    expect(comparisonSides(q)).toEqual(sides);
  });
  it('returns undefined for a question that compares nothing', () => {
    expect(comparisonSides('How does the KV cache work?')).toBeUndefined();
  });
});
