import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMemoryIndex, type MemoryIndex } from '../../test/support/memory-index.js';
import { seededRandom } from '../study/seeded-random.js';
import { StudyService } from '../study/study-service.js';
import { runDrill } from './quiz.js';

let index: MemoryIndex;
const study = (seed: number) => new StudyService({ store: index.store, embedder: index.embedder, searcher: index.searcher, fileText: (f) => index.corpus.text(f), random: seededRandom(seed) });

beforeAll(async () => {
  index = await buildMemoryIndex();
});
afterAll(() => index.close());

/** A piped stdin (not a terminal) holding `text`, and a buffer for stdout. */
function pipes(text: string) {
  const input = new PassThrough();
  input.end(text);
  let printed = '';
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      printed += chunk.toString();
      done();
    },
  });
  return { input, out, printed: () => printed };
}

describe('qbank quiz drill', () => {
  it('asks, reads multi-line answers up to an empty line, grades them, skips on "s" and stops on "q"', async () => {
    const io = pipes(['LoRA freezes the pretrained weights', 'and only trains small low-rank adapter matrices.', '', 's', 'Catastrophic forgetting is when fine-tuning makes the model lose what it learned in pretraining.', '', 'q', 'never read'].join('\n'));
    const result = await runDrill({ study: study(3), input: io.input, out: io.out, filter: { category: 'Category 3', hasModelAnswer: true } });
    const text = io.printed();
    expect(result.ended).toBe('quit');
    expect(result.seen).toHaveLength(4);
    expect(new Set(result.seen).size).toBe(4);
    expect(result.graded).toHaveLength(2);
    expect(text.match(/^Question \d+ \(\d+ left\)/gm)).toHaveLength(4);
    expect(text).toContain('Category 3 — Fine-Tuning');
    expect(text.match(/^Score: \d+%/gm)).toHaveLength(2);
    expect(text).toContain('Skipped.');
    expect(text).toMatch(/^Missed \(\d+\):$/m);
    expect(text).toMatch(/✗ .+\n\s+003_2c438f64575affed\.txt \[\d+–\d+\] — Q\d+\. /);
    expect(text).toMatch(/^Model answer:$/m);
    expect(text).toMatch(/^Follow-up questions:$/m);
    expect(text).not.toContain('> ');
    expect(text).toMatch(/2 answers graded, mean score \d+%\. Seen: 4 questions \(--exclude q_[0-9a-f]{16}(,q_[0-9a-f]{16}){3}\)/);
  });

  it('grades what was typed when the input ends, and asks nothing already seen', async () => {
    const first = await runDrill({ study: study(5), input: pipes('q\n').input, out: pipes('').out, filter: { category: 'Category 8' } });
    const io = pipes('Hallucination is when the model confidently makes up facts.');
    const result = await runDrill({ study: study(5), input: io.input, out: io.out, filter: { category: 'Category 8' }, seen: first.seen });
    expect(result.ended).toBe('input-closed');
    expect(result.seen[1]).not.toBe(first.seen[0]);
    expect(result.graded).toHaveLength(1);
    expect(io.printed()).toMatch(/^Score: \d+%/m);
  });

  it('ends when every matching question was seen', async () => {
    const io = pipes(Array.from({ length: 6 }, () => 's').join('\n'));
    const result = await runDrill({ study: study(9), input: io.input, out: io.out, filter: { category: 'Category 7' } });
    expect(result.ended).toBe('no-questions-left');
    expect(io.printed()).toContain('You have seen all 5 questions that match.');
  });
});
