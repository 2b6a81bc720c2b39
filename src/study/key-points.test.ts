import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../util/package-root.js';
import { isKeyPoint, keyPoints } from './key-points.js';

const corpus = (file: string) => readFileSync(join(packageRoot(), 'corpus', file), 'utf8');

/** The span of question `n` of a bank file, from its title to the next question's. */
function questionSpan(text: string, n: number): { start: number; end: number } {
  const start = text.indexOf(`\nQ${n}. `) + 1;
  const end = text.indexOf(`\nQ${n + 1}. `, start);
  return { start, end: end < 0 ? text.length : end };
}

describe('keyPoints', () => {
  it('quotes every point exactly, list items as whole points, without lead-ins and follow-ups', () => {
    const text = corpus('002_bedc587ae5620290.txt');
    const span = questionSpan(text, 48);
    const points = keyPoints(text, [{ chunkId: 'c1', ...span }]);
    for (const p of points) {
      expect(text.slice(p.start, p.end)).toBe(p.quote);
      expect(p.chunkId).toBe('c1');
    }
    const texts = points.map((p) => p.text);
    expect(texts).toContain('KL divergence penalty in PPO — prevents the policy from drifting too far from the SFT base, limiting how aggressively it can game the reward model');
    expect(texts).toContain('Ensemble reward models — if multiple independent RMs agree a response is good, it\'s less likely to be gaming any single one');
    expect(texts.some((t) => t.startsWith('Mitigations'))).toBe(false);
    expect(texts.some((t) => t.startsWith('Q48.'))).toBe(false);
    expect(points.map((p) => p.index)).toEqual(points.map((_, i) => i));
  });

  it('leaves out structure lines, formulas, tables and the bank\'s follow-up questions', () => {
    const t3 = corpus('003_2c438f64575affed.txt');
    const span = questionSpan(t3, 3);
    const followUps = ['How does PagedAttention (from vLLM) manage KV cache memory?'];
    const texts = keyPoints(t3, [{ chunkId: 'c', ...span }], followUps).map((p) => p.text);
    expect(texts.some((t) => /^Difficulty|^Answer$|^Follow-ups/.test(t))).toBe(false);
    expect(texts.some((t) => t.includes('= 2 * 80 * 8192'))).toBe(false);
    expect(texts).not.toContain(followUps[0]);
    expect(texts).toContain('The KV cache stores the key and value tensors from all previous tokens so they do not need to be recomputed.');

    const t2 = corpus('002_bedc587ae5620290.txt');
    const gqa = keyPoints(t2, [{ chunkId: 'c', ...questionSpan(t2, 9) }]).map((p) => p.text);
    expect(gqa.some((t) => t.startsWith('MHAh') || t.startsWith('MQA1') || t.startsWith('MethodKV'))).toBe(false);
    expect(gqa.some((t) => t.startsWith('GQA is the standard in Llama 3'))).toBe(true);
  });

  it('keeps a statement that ends in a colon before its formula, not a short lead-in', () => {
    expect(isKeyPoint('RMSNorm removes the mean-centering step and normalizes by the root mean square only:')).toBe(true);
    expect(isKeyPoint('Decoder-only models (GPT-style) dominate for three key reasons:')).toBe(false);
    expect(isKeyPoint('score(Q, K) = softmax(QK^T / sqrt(d_k)) * V')).toBe(false);
    expect(isKeyPoint('What is the KV cache and why does it matter?')).toBe(false);
  });
});
