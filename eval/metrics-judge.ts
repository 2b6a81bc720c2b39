import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { z } from 'zod';
import type { Embedder } from '../src/ports/embedder.js';
import { dot } from '../src/util/dot.js';
import { CORRECTNESS_WEIGHTS, semanticSimilarity, statementF1 } from './metrics-answer.js';

/**
 * LLM-judged answer metrics, following RAGAS's current ("collections") implementations and
 * prompts: statements are extracted by the judge, verified against the contexts (faithfulness)
 * or classified TP/FP/FN against the reference's statements (answer correctness); answer
 * relevancy embeds questions the judge generates from the answer. Any LangChain chat model
 * works: ChatOpenAI against an OpenAI-compatible server in use, fake models in tests.
 */

/** The judge answered with something that is not the JSON the prompt asked for. */
export class JudgeOutputError extends Error {
  constructor(
    readonly prompt: string,
    readonly output: string,
    options?: { cause?: unknown },
  ) {
    super(`The judge model's answer is not the JSON asked for (first 200 characters: ${JSON.stringify(output.slice(0, 200))}).`, options);
  }
}

const Statements = z.object({ statements: z.array(z.string()) });
const Verdicts = z.object({ statements: z.array(z.object({ statement: z.string(), reason: z.string(), verdict: z.coerce.number().int() })) });
const Relevance = z.object({ question: z.string(), noncommittal: z.coerce.number().int() });
const Classified = z.object({ statement: z.string(), reason: z.string() });
const Classification = z.object({ TP: z.array(Classified), FP: z.array(Classified), FN: z.array(Classified) });

interface PromptSpec<T extends z.ZodType> {
  instruction: string;
  output: T;
  examples: { input: unknown; output: z.infer<T> }[];
}

const STATEMENTS: PromptSpec<typeof Statements> = {
  instruction:
    'Given a question and an answer, analyze the complexity of each sentence in the answer. Break down each sentence into one or more fully understandable statements. Ensure that no pronouns are used in any statement.',
  output: Statements,
  examples: [
    {
      input: {
        question: 'Who was Albert Einstein and what is he best known for?',
        answer:
          'He was a German-born theoretical physicist, widely acknowledged to be one of the greatest and most influential physicists of all time. He was best known for developing the theory of relativity, he also made important contributions to the development of the theory of quantum mechanics.',
      },
      output: {
        statements: [
          'Albert Einstein was a German-born theoretical physicist.',
          'Albert Einstein is recognized as one of the greatest and most influential physicists of all time.',
          'Albert Einstein was best known for developing the theory of relativity.',
          'Albert Einstein made important contributions to the development of the theory of quantum mechanics.',
        ],
      },
    },
  ],
};

const NLI: PromptSpec<typeof Verdicts> = {
  instruction:
    'Your task is to judge the faithfulness of a series of statements based on a given context. For each statement you must return verdict as 1 if the statement can be directly inferred based on the context or 0 if the statement can not be directly inferred based on the context.',
  output: Verdicts,
  examples: [
    {
      input: {
        context:
          'John is a student at XYZ University. He is pursuing a degree in Computer Science. He is enrolled in several courses this semester, including Data Structures, Algorithms, and Database Management. John is a diligent student and spends a significant amount of time studying and completing assignments. He often stays late in the library to work on his projects.',
        statements: ['John is majoring in Biology.', 'John is taking a course on Artificial Intelligence.', 'John is a dedicated student.', 'John has a part-time job.'],
      },
      output: {
        statements: [
          { statement: 'John is majoring in Biology.', reason: "John's major is explicitly stated as Computer Science, not Biology.", verdict: 0 },
          { statement: 'John is taking a course on Artificial Intelligence.', reason: 'The context mentions courses in Data Structures, Algorithms, and Database Management, but does not mention Artificial Intelligence.', verdict: 0 },
          { statement: 'John is a dedicated student.', reason: 'The context states that John is a diligent student who spends a significant amount of time studying and completing assignments.', verdict: 1 },
          { statement: 'John has a part-time job.', reason: 'There is no information in the context about John having a part-time job.', verdict: 0 },
        ],
      },
    },
  ],
};

const RELEVANCE: PromptSpec<typeof Relevance> = {
  instruction:
    'Generate a question for the given answer and identify if the answer is noncommittal.\nGive noncommittal as 1 if the answer is noncommittal (evasive, vague, or ambiguous) and 0 if the answer is substantive.\nExamples of noncommittal answers: "I don\'t know", "I\'m not sure", "It depends".',
  output: Relevance,
  examples: [
    { input: { response: 'Albert Einstein was born in Germany.' }, output: { question: 'Where was Albert Einstein born?', noncommittal: 0 } },
    { input: { response: 'The capital of France is Paris, a city known for its architecture and culture.' }, output: { question: 'What is the capital of France?', noncommittal: 0 } },
    {
      input: { response: "I don't know about the groundbreaking feature of the smartphone invented in 2023 as I am unaware of information beyond 2022." },
      output: { question: 'What was the groundbreaking feature of the smartphone invented in 2023?', noncommittal: 1 },
    },
  ],
};

const CORRECTNESS: PromptSpec<typeof Classification> = {
  instruction:
    'Given a ground truth and an answer statements, analyze each statement and classify them in one of the following categories: TP (true positive): statements that are present in answer that are also directly supported by the one or more statements in ground truth, FP (false positive): statements present in the answer but not directly supported by any statement in ground truth, FN (false negative): statements found in the ground truth but not present in answer. Each statement can only belong to one of the categories. Provide a reason for each classification.',
  output: Classification,
  examples: [
    {
      input: {
        question: 'What is the boiling point of water?',
        answer: ['The boiling point of water is 100 degrees Celsius at sea level'],
        ground_truth: ['The boiling point of water is 100 degrees Celsius (212 degrees Fahrenheit) at sea level.', 'The boiling point of water can change with altitude.'],
      },
      output: {
        TP: [{ statement: 'The boiling point of water is 100 degrees Celsius at sea level', reason: 'This statement is directly supported by the ground truth which specifies the boiling point of water as 100 degrees Celsius at sea level.' }],
        FP: [],
        FN: [{ statement: 'The boiling point of water can change with altitude.', reason: 'This additional information about how the boiling point of water can vary with altitude is not mentioned in the answer.' }],
      },
    },
  ],
};

/** Renders a prompt the way RAGAS's `BasePrompt.to_string` does: instruction, JSON schema, examples, input. */
export function renderPrompt<T extends z.ZodType>(spec: PromptSpec<T>, input: unknown): string {
  const schema = JSON.stringify(z.toJSONSchema(spec.output));
  const examples = spec.examples.map((e, i) => `Example ${i + 1}\nInput: ${JSON.stringify(e.input, null, 4)}\nOutput: ${JSON.stringify(e.output, null, 4)}`).join('\n\n');
  return `${spec.instruction}
Please return the output in a JSON format that complies with the following schema as specified in JSON Schema:
${schema}Do not use single quotes in your response but double quotes,properly escaped with a backslash.

--------EXAMPLES-----------
${examples}
-----------------------------

Now perform the same with the following input
input: ${JSON.stringify(input, null, 4)}
Output: `;
}

/** The first JSON object or array in a model's answer (code fences and chatter around it ignored). */
export function extractJson(text: string): unknown {
  const fenced = text.match(/```(?:json)?\s*([\s\S]*?)```/);
  const body = fenced?.[1] ?? text;
  const start = body.search(/[{[]/);
  if (start < 0) throw new Error('no JSON value in the text');
  const open = body[start];
  const close = open === '{' ? '}' : ']';
  let depth = 0;
  let inString = false;
  for (let i = start; i < body.length; i++) {
    const ch = body[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === open) depth++;
    else if (ch === close && --depth === 0) return JSON.parse(body.slice(start, i + 1));
  }
  throw new Error('unterminated JSON value');
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (typeof p === 'string' ? p : typeof p === 'object' && p && 'text' in p ? String((p as { text: unknown }).text) : '')).join('');
  return '';
}

export interface JudgeOptions {
  /** Questions generated per answer for answer relevancy (RAGAS `strictness`). 1–10, default 3. */
  strictness: number;
}

/**
 * The LLM judge. Each public method is one RAGAS metric; all return NaN where RAGAS does
 * (no statements), and throw `JudgeOutputError` when the model's JSON is unusable.
 *
 * @example
 * const judge = new LlmJudge(new ChatOpenAI({ model: 'gpt-4o-mini', temperature: 0 }), embedder);
 * const { score } = await judge.faithfulness(question, answer, contexts);
 */
export class LlmJudge {
  /** Calls made to the model, for the report. */
  calls = 0;
  constructor(
    private readonly model: BaseChatModel,
    private readonly embedder: Embedder,
    private readonly options: JudgeOptions = { strictness: 3 },
  ) {}

  private async ask<T extends z.ZodType>(spec: PromptSpec<T>, input: unknown): Promise<z.infer<T>> {
    const prompt = renderPrompt(spec, input);
    this.calls += 1;
    const message = await this.model.invoke(prompt);
    const text = textOf(message.content);
    try {
      return spec.output.parse(extractJson(text)) as z.infer<T>;
    } catch (cause) {
      throw new JudgeOutputError(prompt, text, { cause });
    }
  }

  /** RAGAS statement generator: the answer broken into self-contained statements. */
  async statements(question: string, answer: string): Promise<string[]> {
    return (await this.ask(STATEMENTS, { question, answer })).statements.filter((s) => s.trim());
  }

  /** RAGAS `Faithfulness`: share of the answer's statements the judge infers from the contexts. */
  async faithfulness(question: string, answer: string, contexts: readonly string[]): Promise<{ score: number; statements: { statement: string; verdict: number }[] }> {
    const statements = await this.statements(question, answer);
    if (statements.length === 0) return { score: Number.NaN, statements: [] };
    const verdicts = (await this.ask(NLI, { context: contexts.join('\n'), statements })).statements;
    if (verdicts.length === 0) return { score: Number.NaN, statements: [] };
    return { score: verdicts.filter((v) => v.verdict === 1).length / verdicts.length, statements: verdicts.map((v) => ({ statement: v.statement, verdict: v.verdict })) };
  }

  /**
   * RAGAS `AnswerRelevancy`: mean cosine between the question and `strictness` questions the
   * judge generates from the answer; 0 when every generation calls the answer noncommittal.
   */
  async answerRelevancy(question: string, answer: string): Promise<{ score: number; questions: string[] }> {
    const generated: { question: string; noncommittal: number }[] = [];
    for (let i = 0; i < this.options.strictness; i++) {
      const r = await this.ask(RELEVANCE, { response: answer });
      if (r.question.trim()) generated.push(r);
    }
    if (generated.length === 0) return { score: 0, questions: [] };
    const allNoncommittal = generated.every((g) => g.noncommittal === 1);
    const [q, ...gs] = await this.embedder.embed([question, ...generated.map((g) => g.question)], 'passage');
    const mean = q ? gs.reduce((s, g) => s + dot(q, g), 0) / gs.length : 0;
    return { score: allNoncommittal ? 0 : mean, questions: generated.map((g) => g.question) };
  }

  /** RAGAS `AnswerCorrectness`: 0.75 × F1 of judge-classified statements + 0.25 × semantic similarity. */
  async answerCorrectness(question: string, answer: string, reference: string): Promise<{ score: number; f1: number; similarity: number; tp: number; fp: number; fn: number }> {
    const answerStatements = await this.statements(question, answer);
    const referenceStatements = await this.statements(question, reference);
    let f1 = 1;
    let tp = 0;
    let fp = 0;
    let fn = 0;
    if (answerStatements.length > 0 && referenceStatements.length > 0) {
      const c = await this.ask(CORRECTNESS, { question, answer: answerStatements, ground_truth: referenceStatements });
      [tp, fp, fn] = [c.TP.length, c.FP.length, c.FN.length];
      f1 = statementF1(tp, fp, fn);
    }
    const similarity = await semanticSimilarity(this.embedder, answer, reference);
    const [wf, ws] = CORRECTNESS_WEIGHTS;
    return { score: (wf * f1 + ws * similarity) / (wf + ws), f1, similarity, tp, fp, fn };
  }
}
