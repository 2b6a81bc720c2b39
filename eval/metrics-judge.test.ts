import { FakeListChatModel } from '@langchain/core/utils/testing';
import { describe, expect, it } from 'vitest';
import { extractJson, JudgeOutputError, LlmJudge, renderPrompt } from './metrics-judge.js';
import { BagEmbedder } from './testing/bag-embedder.js';
import { z } from 'zod';

const embedder = new BagEmbedder();
const judge = (responses: string[], strictness = 3) => new LlmJudge(new FakeListChatModel({ responses }), embedder, { strictness });

describe('LLM judge (RAGAS prompts, fake chat model)', () => {
  it('faithfulness: statements extracted, then verdicts against the contexts', async () => {
    const j = judge([
      '{"statements": ["The KV cache stores keys.", "The KV cache is free."]}',
      '```json\n{"statements": [{"statement": "The KV cache stores keys.", "reason": "stated", "verdict": 1}, {"statement": "The KV cache is free.", "reason": "not stated", "verdict": 0}]}\n```',
    ]);
    const r = await j.faithfulness('what is the kv cache', 'It stores keys. It is free.', ['The KV cache stores keys and values.']);
    expect(r.score).toBe(0.5);
    expect(j.calls).toBe(2);
  });
  it('faithfulness is NaN when the judge finds no statement', async () => {
    expect((await judge(['{"statements": []}']).faithfulness('q', 'a', ['c'])).score).toBeNaN();
  });
  it('answer relevancy: mean cosine of generated questions, 0 when all are noncommittal', async () => {
    const relevant = await judge(['{"question": "what does the kv cache store", "noncommittal": 0}', '{"question": "what does the kv cache store", "noncommittal": 0}'], 2).answerRelevancy('what does the kv cache store', 'keys and values');
    expect(relevant.score).toBeCloseTo(1, 6);
    const evasive = await judge(['{"question": "what does the kv cache store", "noncommittal": 1}'], 1).answerRelevancy('what does the kv cache store', 'I do not know');
    expect(evasive.score).toBe(0);
  });
  it('answer correctness: 0.75 × F1 of TP/FP/FN + 0.25 × similarity', async () => {
    const j = judge([
      '{"statements": ["Water boils at 100 C at sea level."]}',
      '{"statements": ["Water boils at 100 C at sea level.", "The boiling point changes with altitude."]}',
      '{"TP": [{"statement": "Water boils at 100 C at sea level.", "reason": "r"}], "FP": [], "FN": [{"statement": "The boiling point changes with altitude.", "reason": "r"}]}',
    ]);
    const r = await j.answerCorrectness('boiling point?', 'Water boils at 100 C at sea level.', 'Water boils at 100 C at sea level. The boiling point changes with altitude.');
    expect([r.tp, r.fp, r.fn]).toEqual([1, 0, 1]);
    expect(r.f1).toBeCloseTo(2 / 3, 12);
    expect(r.score).toBeCloseTo(0.75 * r.f1 + 0.25 * r.similarity, 12);
  });
  it('rejects output that is not the JSON asked for, keeping prompt and output', async () => {
    const error = await judge(['I think it is faithful.']).faithfulness('q', 'a', ['c']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JudgeOutputError);
    expect((error as JudgeOutputError).output).toBe('I think it is faithful.');
  });
});

describe('prompt rendering and JSON extraction', () => {
  it('renders like RAGAS BasePrompt.to_string', () => {
    const p = renderPrompt({ instruction: 'Do it.', output: z.object({ a: z.number() }), examples: [{ input: { x: 1 }, output: { a: 2 } }] }, { x: 3 });
    expect(p).toContain('Do it.\nPlease return the output in a JSON format that complies with the following schema as specified in JSON Schema:\n{');
    expect(p).toContain('--------EXAMPLES-----------\nExample 1\nInput: {\n    "x": 1\n}\nOutput: {\n    "a": 2\n}');
    expect(p.endsWith('input: {\n    "x": 3\n}\nOutput: ')).toBe(true);
  });
  it('finds the JSON inside chatter and fences, with braces inside strings', () => {
    expect(extractJson('Sure! {"a": "x}y", "b": [1]} done')).toEqual({ a: 'x}y', b: [1] });
    expect(extractJson('```json\n[1, 2]\n```')).toEqual([1, 2]);
    expect(() => extractJson('nothing')).toThrow();
  });
});
