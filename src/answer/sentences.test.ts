import { describe, expect, it } from 'vitest';
import { splitSentences } from './sentences.js';

describe('splitSentences', () => {
  const file = 'Intro.\nQ9. What is GQA?\n\nDifficulty: Easy | Roles: MLE\n\nAnswer\n\nGQA shares keys and values across groups of heads. It cuts the KV cache \\text{---} by 4x or more.\n  • MQA uses a single shared key-value head for all queries.\n\ncode\n';
  const start = file.indexOf('Q9.');
  const sentences = splitSentences(file, start, file.length);

  it('keeps exact source spans', () => {
    for (const s of sentences) expect(file.slice(s.start, s.end)).toBe(s.quote);
  });
  it('drops titles, metadata, markers and code labels', () => {
    expect(sentences.map((s) => s.text)).toEqual([
      'GQA shares keys and values across groups of heads.',
      'It cuts the KV cache — by 4x or more.',
      'MQA uses a single shared key-value head for all queries.',
    ]);
  });
  it('numbers sentences in passage order', () => {
    expect(sentences.map((s) => s.index)).toEqual([0, 1, 2]);
  });
});

describe('splitSentences with a lead-in and its list', () => {
  const file = 'Answer\n\nLoRA (Low-Rank Adaptation):\n\n  • Freezes all original weights\n  • Adds small trainable low-rank matrices\n\nQLoRA quantizes the base model to 4 bits before training adapters.\n';
  const sentences = splitSentences(file, 0, file.length);
  it('keeps the lead-in and its items as one unit quoted exactly', () => {
    expect(sentences[0]?.text).toBe('LoRA (Low-Rank Adaptation): Freezes all original weights; Adds small trainable low-rank matrices.');
    expect(file.slice(sentences[0]?.start, sentences[0]?.end)).toBe(sentences[0]?.quote);
    expect(sentences[0]?.quote).toContain('• Freezes all original weights\n  • Adds small');
    expect(sentences[1]?.text).toBe('QLoRA quantizes the base model to 4 bits before training adapters.');
  });
});
