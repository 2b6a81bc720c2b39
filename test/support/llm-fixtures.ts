import { AskService, type AskServiceDeps } from '../../src/answer/ask.js';
import { ExtractiveAnswerer } from '../../src/answer/extractive.js';
import type { SearchResult } from '../../src/search/searcher.js';
import { buildMemoryIndex, type MemoryIndex } from './memory-index.js';

/** The bundled file holding "Q1. Explain scaled dot-product attention…" and "Q2. What is the KV cache…". */
export const ATTENTION_FILE = '002_bedc587ae5620290.txt';

/** A memory index with what answer tests need on top. */
export interface AskFixture extends MemoryIndex {
  /** The original text of a corpus file. */
  fileText: (file: string) => string;
  extractive: ExtractiveAnswerer;
  /** Retrieved passages for a question, as the ask service passes them to an answerer. */
  passages(question: string, k?: number): Promise<SearchResult[]>;
  /** An ask service over this index, with the given LLM answerer and deadline. */
  askService(deps?: Pick<AskServiceDeps, 'llm' | 'llmDeadlineMs' | 'k'>): AskService;
}

/**
 * `buildMemoryIndex` over a few corpus files (default: `ATTENTION_FILE`), with the deterministic
 * `HashEmbedder`, plus passages and ask services for answerer tests.
 *
 * @example
 * const fx = await buildAskFixture();
 * const ask = fx.askService({ llm: new LlmAnswerer({ model, embedder: fx.embedder, fileText: fx.fileText }) });
 */
export async function buildAskFixture(options: { files?: string[] } = {}): Promise<AskFixture> {
  const index = await buildMemoryIndex({ files: options.files ?? [ATTENTION_FILE] });
  const fileText = (file: string) => index.corpus.text(file);
  const extractive = new ExtractiveAnswerer({ embedder: index.embedder, fileText });
  return {
    ...index,
    fileText,
    extractive,
    passages: async (question, k = 5) => (await index.searcher.search({ query: question, k })).results,
    askService: (deps = {}) => new AskService({ searcher: index.searcher, extractive, ...deps }),
  };
}
