import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Chunk } from '../src/ports/chunk.js';
import { words } from '../src/lang/analyzer.js';
import { packageRoot } from '../src/util/package-root.js';
import { DEFAULT_CHUNK_OPTIONS } from './chunk.js';
import { replaceLatexDashes } from './clean.js';
import { chunkSource } from './chunk-source.js';
import type { SourceFile } from './source-files.js';

const root = packageRoot();
const corpusDir = join(root, 'corpus');
const fixturesDir = join(root, 'ingest', 'fixtures');
const options = { chunk: DEFAULT_CHUNK_OPTIONS, jsonFields: { id: 'chunk_link', title: 'chunk_heading', text: 'text', url: 'chunk_link' } };
const UPDATE = process.env['UPDATE'] === '1';

function source(file: string, text: string): SourceFile {
  const ext = file.split('.').pop();
  return { file, text, sha256: '', format: ext === 'json' ? 'json' : ext === 'md' ? 'markdown' : 'text' };
}

/** Compares with the stored golden chunks; `UPDATE=1 npx vitest run ingest` rewrites them. */
function expectGolden(path: string, chunks: Chunk[]): void {
  if (UPDATE || !existsSync(path)) {
    writeFileSync(path, `${JSON.stringify(chunks, null, 1)}\n`);
    if (!UPDATE) throw new Error(`${path} did not exist and was written; check it and run again`);
  }
  expect(chunks).toEqual(JSON.parse(readFileSync(path, 'utf8')));
}

/** Every word of the chunk's text stands in the chunk's source span (table cells may have been run together there). */
function expectTextFromSpan(text: string, chunk: Chunk): void {
  expect(chunk.start).toBeGreaterThanOrEqual(0);
  expect(chunk.end).toBeLessThanOrEqual(text.length);
  expect(chunk.start).toBeLessThan(chunk.end);
  const span = replaceLatexDashes(text.slice(chunk.start, chunk.end)).normalize('NFKC').toLowerCase();
  const missing = words(chunk.text).filter((w) => !span.includes(w));
  expect(missing, `${chunk.file}@${chunk.start}: words not in the source span`).toEqual([]);
}

const corpusFiles = readdirSync(corpusDir).filter((f) => !f.startsWith('.')).sort();

describe('golden chunks of every corpus file', () => {
  it.each(corpusFiles)('%s', (file) => {
    const text = readFileSync(join(corpusDir, file), 'utf8');
    expectGolden(join(fixturesDir, 'corpus', `${file}.expected.json`), chunkSource(source(file, text), options));
  });
});

describe('golden chunks of the fixture cases', () => {
  const cases = readdirSync(fixturesDir).filter((d) => d !== 'corpus');
  it.each(cases)('%s', (name) => {
    const input = readdirSync(join(fixturesDir, name)).find((f) => f.startsWith('input.'));
    if (!input) throw new Error(`fixture ${name} has no input file`);
    const text = readFileSync(join(fixturesDir, name, input), 'utf8');
    expectGolden(join(fixturesDir, name, 'expected.json'), chunkSource(source(input, text), options));
  });
});

describe('chunk offsets', () => {
  it.each(corpusFiles)('map back to the source text of %s', (file) => {
    const text = readFileSync(join(corpusDir, file), 'utf8');
    const chunks = chunkSource(source(file, text), options);
    expect(chunks.length).toBeGreaterThan(0);
    let last = -1;
    for (const c of chunks) {
      expectTextFromSpan(text, c);
      expect(c.start, 'chunks are in document order and do not overlap').toBeGreaterThan(last - 1);
      last = c.end;
    }
  });

  it('hold for generated question banks (property)', () => {
    const sentence = fc.stringMatching(/^[A-Z][a-z]{2,8}( [a-z]{1,8}){2,12}\.$/);
    const question = fc.record({
      title: fc.stringMatching(/^[A-Z][a-z]{2,8}( [a-z]{1,8}){1,8}\?$/),
      difficulty: fc.constantFrom('Easy', 'Medium', 'Hard'),
      answer: fc.array(fc.array(sentence, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 }),
      followUps: fc.array(fc.stringMatching(/^[A-Z][a-z]{2,8}( [a-z]{1,8}){1,6}\?$/), { maxLength: 3 }),
    });
    const doc = fc.array(fc.record({ category: fc.stringMatching(/^[A-Z][a-z]{3,10}$/), questions: fc.array(question, { minLength: 1, maxLength: 4 }) }), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(doc, (categories) => {
        let n = 0;
        const lines: string[] = ['Skip to main content', '', 'A Generated Bank', ''];
        categories.forEach((cat, ci) => {
          lines.push(`Category ${ci + 1} \\text{---} ${cat.category}`, '');
          for (const q of cat.questions) {
            n += 1;
            lines.push(`Q${n}. ${q.title}`, '', `Difficulty: ${q.difficulty} | Roles: MLE`, '', 'Answer', '');
            for (const para of q.answer) lines.push(para.join(' '), '');
            if (q.followUps.length > 0) lines.push('Follow-ups:', '', ...q.followUps.map((f) => `  • ${f}`), '');
          }
        });
        const text = lines.join('\n');
        const chunks = chunkSource(source('gen.txt', text), options);
        for (const c of chunks) {
          expectTextFromSpan(text, c);
          expect(c.text.length).toBeLessThanOrEqual(DEFAULT_CHUNK_OPTIONS.maxChars * 1.25 + 200);
        }
        const qa = chunks.filter((c) => c.kind === 'qa');
        expect(new Set(qa.map((c) => c.questionNumber)).size).toBe(n);
        for (const c of qa) expect(c.difficulty).toBeDefined();
      }),
      { numRuns: 60 },
    );
  });
});

describe('structure recovery', () => {
  const text = readFileSync(join(corpusDir, '003_2c438f64575affed.txt'), 'utf8');
  const chunks = chunkSource(source('003_2c438f64575affed.txt', text), options);

  it('finds every numbered question with difficulty, roles and follow-ups', () => {
    const numbers = new Set(chunks.filter((c) => c.kind === 'qa').map((c) => c.questionNumber));
    expect([...numbers].sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(Array.from({ length: 52 }, (_, i) => i + 1));
    const q3 = chunks.find((c) => c.questionNumber === 3);
    expect(q3?.title).toBe('Q3. What is the KV cache and why is it critical for LLM inference?');
    expect(q3?.difficulty).toBe('Medium');
    expect(q3?.roles).toEqual(['MLE', 'AI Eng', 'LLM Eng', 'ML Infra Eng']);
    expect(q3?.followUps).toContain('How does PagedAttention (from vLLM) manage KV cache memory?');
    expect(q3?.section).toEqual(['Category 1 — Transformer Architecture']);
  });

  it('keeps a question whose title the scrape lost (Q26) as its own unit', () => {
    const q26 = chunks.find((c) => c.questionNumber === 26);
    expect(q26?.text).toMatch(/^Pure vector \(dense\) search/);
    expect(q26?.difficulty).toBe('Medium');
  });

  it('turns \\text{---} into an em dash and drops navigation', () => {
    expect(chunks.some((c) => c.text.includes('\\text{'))).toBe(false);
    expect(chunks.some((c) => /Skip to main content|All rights reserved/.test(c.text))).toBe(false);
  });

  it('keeps follow-up questions out of the indexed text', () => {
    const q1 = chunks.find((c) => c.questionNumber === 1 && (c.part?.index ?? 0) === (c.part?.count ?? 1) - 1);
    expect(q1?.text).not.toContain('When would you still choose an encoder-decoder architecture?');
  });

  it('records footnote URLs cited by markdown passages', () => {
    const md = readFileSync(join(corpusDir, '004_29baa6f2a6fa364a.txt'), 'utf8');
    const c = chunkSource(source('004_29baa6f2a6fa364a.txt', md), options).find((x) => x.section.includes('LLM Fundamentals Tested at NVIDIA, Google, Amazon'));
    expect(c?.footnotes).toEqual([{ id: 'fahd-mirza', url: 'https://www.youtube.com/watch?v=yr5dRHrnbCo', title: 'YouTube - Fahd Mirza' }]);
    expect(c?.text).not.toContain('[^');
  });

  it('reads front matter title and language', () => {
    const de = readFileSync(join(corpusDir, '000_34e99dc8019cbd23.txt'), 'utf8');
    const c = chunkSource(source('000_34e99dc8019cbd23.txt', de), options);
    expect(c.every((x) => x.lang === 'de')).toBe(true);
    expect(c.some((x) => x.kind === 'question-list' && x.section[0] === 'System Design & Architektur')).toBe(true);
  });
});
