import { describe, expect, it } from 'vitest';
import { contentWords, paraphrases } from './paraphrase.js';

describe('rule-based paraphrases', () => {
  it('turns "What is X?" into a template, swaps synonyms, drops and reorders words', () => {
    const p = paraphrases('Q2. What is the KV cache and what are its memory implications at scale?');
    const byRule = Object.fromEntries(p.map((x) => [x.rule, x.text]));
    expect(['explain KV cache', 'KV cache meaning', 'define KV cache']).toContain(byRule['template']);
    expect(byRule['synonym']).toBe('What is the KV cache and what are its memory consequences at scale?');
    expect(byRule['keywords']).toBe('kv cache');
    expect(byRule['reorder']).toBeUndefined(); // two content words: nothing to reorder
  });
  it('handles differences, comparisons and how-do-you questions', () => {
    expect(paraphrases('What is the difference between pre-training and supervised fine-tuning (SFT)?')[0]?.text).toMatch(/^(?:pre-training vs supervised fine-tuning \(SFT\)|compare pre-training and supervised fine-tuning \(SFT\))$/);
    expect(paraphrases('Compare LoRA, prefix tuning, and prompt tuning. When would you choose each?')[0]?.text).toMatch(/LoRA/);
    expect(paraphrases('How do you handle tool call errors and retries in an agentic system?')[0]?.text).toMatch(/^(?:best way|approach|steps) to handle tool call errors/);
  });
  it('is deterministic and never repeats the question', () => {
    const q = 'Explain continuous batching and why it replaced static batching for LLM serving.';
    expect(paraphrases(q)).toEqual(paraphrases(q));
    expect(paraphrases(q).map((p) => p.text.toLowerCase())).not.toContain(q.toLowerCase());
    expect(new Set(paraphrases(q).map((p) => p.rule)).size).toBe(paraphrases(q).length);
  });
  it('content words drop stopwords and question words', () => {
    expect(contentWords('How does BPE tokenization work')).toEqual(['BPE', 'tokenization', 'work']);
  });
});
