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
});
