import { describe, expect, it } from 'vitest';
import type { Chunk } from '../ports/chunk.js';
import type { RerankCandidate } from '../ports/reranker.js';
import { DEFAULT_HEURISTIC_WEIGHTS, HeuristicReranker } from './heuristic-reranker.js';

function candidate(id: string, text: string, extra: Partial<Chunk> = {}): RerankCandidate {
  const chunk: Chunk = { id, file: 'f.json', start: 0, end: text.length, text, embedText: text, section: [], lang: 'en', kind: 'record', footnotes: [], ...extra };
  return { chunk, vector: new Float32Array([1, 0]), fused: 0.02 };
}

const query = { text: 'What is the purpose of the HashBuilder class?', lang: 'en', terms: ['purpos', 'hashbuild', 'class'], vector: new Float32Array([1, 0]) };

describe('HeuristicReranker', () => {
  it('ranks the passage that declares what the query names above passages that only use it', async () => {
    const use = candidate('use', 'HashBuilder b = Password.hash(pw).with(HashBuilder.SALT); // class of builders');
    const decl = candidate('decl', '/** Builds hashes. */\npublic class HashBuilder {\n  private final String pw;');
    expect((await new HeuristicReranker().rerank(query, [use, decl])).map((r) => r.id)).toEqual(['decl', 'use']);
    // Without the signal the two tie on every other one, and the first stays first.
    const off = new HeuristicReranker({ ...DEFAULT_HEURISTIC_WEIGHTS, declared: 0 });
    expect((await off.rerank(query, [use, decl])).map((r) => r.id)).toEqual(['use', 'decl']);
  });

  it('counts a JSON record\'s section path as its text', async () => {
    const plain = candidate('plain', 'return 1;');
    const scoped = candidate('scoped', 'return 1;', { section: ['public class HashBuilder'] });
    expect((await new HeuristicReranker().rerank(query, [plain, scoped]))[0]?.id).toBe('scoped');
  });

  it('reads a typed method declaration in code as declaring its name, and not a call or prose', async () => {
    const q = { ...query, text: 'What does the hash method do with a salt?', terms: ['hash', 'method', 'salt'] };
    const java = '    @Override\n    public Hash hash(CharSequence pw, String salt)\n    {\n        return hash(pw, salt, null);\n    }\n    int x = 1;';
    const call = '    {\n        Hash result = hash(peppered, salt);\n        return hash(x, salt);\n        result.setPepper(pepper);\n    }';
    const ranked = await new HeuristicReranker().rerank(q, [candidate('call', call), candidate('decl', java)]);
    expect(ranked.map((r) => r.id)).toEqual(['decl', 'call']);
    // A qualified C++ definition declares its last name.
    const cpp = 'namespace Host {\nWasiExpect<void> Environ::procRaise(int Signal) const noexcept {\n  int s = 0;\n  return {};\n}\n}';
    const other = 'namespace Host {\nvoid helper() {\n  env.procRaise(1);\n  return;\n}\n}';
    const q2 = { ...query, text: 'What is procRaise for?', terms: ['procrais'] };
    expect((await new HeuristicReranker().rerank(q2, [candidate('other', other), candidate('cpp', cpp)]))[0]?.id).toBe('cpp');
  });

  it('does not read prose that looks like a declaration as one', async () => {
    const q = { ...query, text: 'What is attention?', terms: ['atten'] };
    const prose = candidate('prose', 'Explain attention (QKV)\nWhat is attention (in transformers)');
    const plain = candidate('plain', 'Explain attention (QKV)\nWhat is attention (in transformers)');
    const scores = await new HeuristicReranker().rerank(q, [prose, plain]);
    expect(scores[0]?.score).toBe(scores[1]?.score);
    const off = await new HeuristicReranker({ ...DEFAULT_HEURISTIC_WEIGHTS, declared: 0 }).rerank(q, [prose]);
    expect(scores[0]?.score).toBe(off[0]?.score);
  });
});
