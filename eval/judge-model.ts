import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { ConfigError } from '../src/errors.js';

/** The judge model's settings: ChatOpenAI against OpenAI or any OpenAI-compatible server. */
export interface JudgeSettings {
  model: string;
  baseURL?: string;
  apiKey?: string;
  /** Answers judged per answerer: model runs are slow. 1–1000, default 25. */
  limit: number;
}

/**
 * Reads the judge settings: `--judge-model` wins over QBANK_JUDGE_MODEL; the server is
 * QBANK_JUDGE_BASE_URL or OPENAI_BASE_URL, the key QBANK_JUDGE_API_KEY or OPENAI_API_KEY.
 * Undefined when no judge is configured (the judge-free metric versions run).
 */
export function judgeSettings(flags: { model?: string | undefined; limit?: number | undefined }, env: NodeJS.ProcessEnv = process.env): JudgeSettings | undefined {
  const model = flags.model ?? env['QBANK_JUDGE_MODEL'];
  if (!model) return undefined;
  const s: JudgeSettings = { model, limit: flags.limit ?? 25 };
  const baseURL = env['QBANK_JUDGE_BASE_URL'] || env['OPENAI_BASE_URL'];
  const apiKey = env['QBANK_JUDGE_API_KEY'] || env['OPENAI_API_KEY'];
  if (baseURL) s.baseURL = baseURL;
  if (apiKey) s.apiKey = apiKey;
  if (!s.apiKey && !s.baseURL) {
    throw new ConfigError(`QBANK_JUDGE_MODEL="${model}" asks for OpenAI, but no API key is set: set OPENAI_API_KEY, or OPENAI_BASE_URL for a local OpenAI-compatible server (e.g. http://127.0.0.1:11434/v1).`);
  }
  return s;
}

/** The judge as a LangChain chat model, temperature 0. LangChain loads only when a judge is configured. */
export async function createJudgeModel(s: JudgeSettings): Promise<BaseChatModel> {
  const { ChatOpenAI } = await import('@langchain/openai');
  return new ChatOpenAI({ model: s.model, apiKey: s.apiKey ?? 'not-needed', configuration: s.baseURL ? { baseURL: s.baseURL } : {}, temperature: 0, maxRetries: 1, timeout: 120_000 });
}
