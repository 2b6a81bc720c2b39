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
