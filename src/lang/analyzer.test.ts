import { describe, expect, it } from 'vitest';
import { analyze, words } from './analyzer.js';
import { detectLanguage } from './detect-language.js';

describe('analyze', () => {
  it('stems, drops stopwords and keeps acronyms', () => {
    expect(analyze('Explain GQA vs MQA', 'en')).toEqual(['gqa', 'mqa']);
    expect(analyze('grouped queries', 'en')).toEqual(['group', 'queri']);
  });
  it('drops the words that frame a question rather than name its subject', () => {
    // In code "purpose" is rare, so it would pull licence headers ("FITNESS FOR A PARTICULAR PURPOSE") up.
    expect(analyze('What is the purpose of the DiffExecutor struct?', 'en')).toEqual(['diffexecutor', 'struct']);
  });
  it('splits compounds and adds their concatenation', () => {
    expect(analyze('multi-head', 'en')).toEqual(['multi', 'head', 'multihead']);
    expect(analyze('multihead', 'en')).toEqual(['multihead']);
  });
  it('reads a snake_case identifier as a compound: its parts and the whole', () => {
    expect(analyze('stop_reason max_tokens __init__', 'en')).toEqual(['stop', 'reason', 'stopreason', 'max', 'token', 'maxtoken', 'init']);
    expect(analyze('stop reason', 'en')).toEqual(['stop', 'reason']);
    expect(words('stop_reason')).toEqual(['stop', 'reason']);
  });
  it('keeps numbers and versioned names whole', () => {
    expect(words('Llama 3.1 70B at p99')).toEqual(['llama', '3.1', '70b', 'at', 'p99']);
    expect(analyze('70B p99', 'en')).toEqual(['70b', 'p99']);
  });
  it('stems German with the German stemmer', () => {
    expect(analyze('Die Modelle und ihre Inferenzkosten', 'de')).toEqual(['modell', 'inferenzkost']);
  });
  it('returns nothing for punctuation or stopwords only', () => {
    expect(analyze('?!  … the and', 'en')).toEqual([]);
  });
});

describe('detectLanguage', () => {
  it.each([
    ['Wie funktioniert Grouped-Query Attention?', 'de'],
    ['Was ist der Unterschied zwischen LoRA und QLoRA?', 'de'],
    ['Erkläre RLHF', 'de'],
    ['explain GQA vs MQA', 'en'],
    ['GQA vs MQA', 'en'],
    ['How does the KV cache work?', 'en'],
    ['Kubernetes Deployment', 'en'],
  ] as const)('%s → %s', (text, lang) => {
    expect(detectLanguage(text)).toBe(lang);
  });
});
