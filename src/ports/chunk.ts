/**
 * A passage of the question bank: the unit that is indexed, retrieved and cited.
 *
 * `start`/`end` are JavaScript string offsets into the source file's text as read in UTF-8,
 * so `fileText.slice(start, end)` is the passage's source span. `text` is the cleaned
 * passage shown to users; it may differ from the raw span only by removed scrape artifacts
 * and normalised whitespace.
 *
 * @example
 * const c: Chunk = {
 *   id: 'c_3f2a…', file: '002_bedc587ae5620290.txt', start: 5120, end: 5790,
 *   text: 'Standard multi-head attention (MHA) uses …', embedText: 'Q9. What are … \n Standard …',
 *   title: 'Q9. What are Multi-Query Attention (MQA) and Grouped-Query Attention (GQA)?',
 *   section: ['Architecture and Training (All Levels)'], lang: 'en', kind: 'qa', footnotes: [],
 * };
 */
export interface Chunk {
  /** Stable id: a hash of the file path and the passage's content. */
  id: string;
  /** Path relative to the corpus directory, with `/` separators. */
  file: string;
  start: number;
  end: number;
  /** Cleaned passage text. */
  text: string;
  /** What the embedder sees: question title, section path and text. */
  embedText: string;
  /** The question this passage answers or belongs to, when there is one. */
  title?: string;
  /** Heading / category path from the document root down to this passage. */
  section: string[];
  /** The number of the question in its document ("Q9" → 9), when there is one. */
  questionNumber?: number;
  difficulty?: string;
  roles?: string[];
  /** ISO 639-1 language code of the passage. */
  lang: string;
  kind: ChunkKind;
  /** Footnotes cited by this passage. */
  footnotes: Footnote[];
  /** Follow-up questions the bank lists for this passage's question. */
  followUps?: string[];
  /** Position when one question's answer was split into several chunks. */
  part?: { index: number; count: number };
}

export type ChunkKind = 'qa' | 'question-list' | 'section' | 'record';

export interface Footnote {
  id: string;
  url: string;
  title?: string;
}

/** A chunk as the store keeps it: with its analysed terms and its vector. */
export interface StoredChunk extends Chunk {
  /** Analysed BM25 terms of the chunk (stemmed, stopwords removed), in document order. */
  terms: string[];
  vector: Float32Array;
}

/** A source file as last ingested. */
export interface FileRecord {
  file: string;
  /** sha256 of the file's bytes together with the chunker's version. */
  hash: string;
  chunkCount: number;
}
