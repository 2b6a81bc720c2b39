import type { Embedder } from '../ports/embedder.js';
import type { Store } from '../ports/store.js';
import { DEFAULT_EXTRACTIVE_OPTIONS, isMarkdownSource, isStatement } from './extractive.js';
import { splitSentences } from './sentences.js';

export interface WarmSentencesDeps {
  store: Pick<Store, 'listFiles' | 'chunksOfFile'>;
  fileText: (file: string) => string;
  /** The answerer's embedder, behind the same cache (`CachedEmbedder`). */
  embedder: Embedder;
  /** Stops the warming between two batches. */
  signal?: AbortSignal;
  sentencesPerPassage?: number;
  /** Sentences per embed call, default 64. */
  batch?: number;
}

/**
 * Embeds, as idle work, the sentences the extractive answerer may quote from every passage of
 * the index (the same split, the same statements, the same cap per passage), so that through
 * the embedder's cache the first answers after a start or an ingest need no forward passes of
 * their own. Idle work runs only in passes that no request needs (see `PassBatcher`), and
 * sentences already in the cache cost a lookup, so a restart over an unchanged index is quick.
 * Returns what it embedded; stops early, without an error, when `signal` aborts.
 *
 * @example
 * const { sentences } = await warmAnswerSentences({ store, fileText: (f) => corpus.text(f), embedder });
 */
export async function warmAnswerSentences(deps: WarmSentencesDeps): Promise<{ files: number; sentences: number }> {
  const perPassage = deps.sentencesPerPassage ?? DEFAULT_EXTRACTIVE_OPTIONS.sentencesPerPassage;
  const batch = deps.batch ?? 64;
  let files = 0;
  let sentences = 0;
  for (const { file } of await deps.store.listFiles()) {
    if (deps.signal?.aborted) break;
    let text: string;
    try {
      text = deps.fileText(file);
    } catch {
      continue; // The file left the corpus after it was indexed; the answerer cannot quote it either.
    }
    const markdown = isMarkdownSource(file, text);
    const texts = new Set<string>();
    for (const chunk of await deps.store.chunksOfFile(file)) {
      for (const s of splitSentences(text, chunk.start, chunk.end, { markdown }).filter(isStatement).slice(0, perPassage)) texts.add(s.text);
    }
    const all = [...texts];
    for (let i = 0; i < all.length; i += batch) {
      if (deps.signal?.aborted) return { files, sentences };
      const part = all.slice(i, i + batch);
      await deps.embedder.embed(part, 'passage', { idle: true });
      sentences += part.length;
    }
    files += 1;
  }
  return { files, sentences };
}
