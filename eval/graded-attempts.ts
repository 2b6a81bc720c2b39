import { z } from 'zod';
import { normaliseTitle, type CatalogueQuestion } from '../src/study/question-catalogue.js';
import { loadJsonl } from './dataset.js';

const AttemptSchema = z.strictObject({
  id: z.string().min(1),
  /** The bank question, by file and title (without its "Q12." number), so the set survives re-chunking. */
  question: z.strictObject({ file: z.string().min(1), title: z.string().min(1) }),
  level: z.enum(['good', 'partial', 'wrong']),
  answer: z.string().min(1).max(5000),
  /** `held-out`, `held-out-2`: written after the grading defaults were chosen, and not used to choose them (see the comments in the file). */
  split: z.enum(['calibration', 'held-out', 'held-out-2']).default('calibration'),
});
export type GradedAttempt = z.infer<typeof AttemptSchema>;
export type AttemptLevel = GradedAttempt['level'];

/** Reads `eval/datasets/graded-attempts.jsonl`: one attempt a line; blank lines and `//` comments skipped. */
export function loadGradedAttempts(path: string): GradedAttempt[] {
  return loadJsonl(path, AttemptSchema);
}

/** The catalogue question an attempt names: same file, same title once numbers and punctuation are ignored. */
export function findQuestion(questions: readonly CatalogueQuestion[], ref: GradedAttempt['question']): CatalogueQuestion | undefined {
  const title = normaliseTitle(ref.title);
  return questions.find((q) => q.file === ref.file && q.hasModelAnswer && normaliseTitle(q.title) === title);
}
