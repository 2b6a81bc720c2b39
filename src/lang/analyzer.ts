import { stemmer as stemEnglish } from '@orama/stemmers/english';
import { stemmer as stemGerman } from '@orama/stemmers/german';
import stopword from 'stopword';

/** Languages with a stemmer and a stopword list; anything else is analysed as English. */
export type AnalyzerLanguage = 'en' | 'de';

// Queries say "X vs Y" and "what is the purpose of X"; interview lists say "e.g." and "etc." —
// none of them carries meaning.
const EXTRA_STOPWORDS: Record<AnalyzerLanguage, readonly string[]> = {
  en: ['vs', 'versus', 'eg', 'e.g', 'etc', 'ie', 'explain', 'describe', 'tell', 'purpose', 'does', 'do', 'what', 'why', 'when', 'which', 'how', 'between'],
  de: ['vs', 'bzw', 'z.b', 'usw', 'erkläre', 'erklären', 'beschreibe'],
};

const STOPWORDS: Record<AnalyzerLanguage, ReadonlySet<string>> = {
  en: new Set([...stopword.eng, ...EXTRA_STOPWORDS.en]),
  de: new Set([...stopword.deu, ...EXTRA_STOPWORDS.de]),
};

/** Most words a stemmer's memo holds before it starts over (a vocabulary is Zipf-distributed: a few thousand words cover most text). */
const STEM_MEMO_MAX = 50_000;

/** `stem` remembering its answers: stemming is a pure function of the word, and the stemmers cost microseconds per call. */
function memoized(stem: (word: string) => string): (word: string) => string {
  const memo = new Map<string, string>();
  return (word) => {
    let s = memo.get(word);
    if (s === undefined) {
      s = stem(word);
      if (memo.size >= STEM_MEMO_MAX) memo.clear();
      memo.set(word, s);
    }
    return s;
  };
}

const STEMMERS: Record<AnalyzerLanguage, (word: string) => string> = { en: memoized(stemEnglish), de: memoized(stemGerman) };

/** Letters and digits, with inner `-`, `.`, `/`, `+` kept so "gpt-4", "llama3.1", "c++" stay whole. */
const WORD = /[\p{L}\p{N}]+(?:[-.'’/+][\p{L}\p{N}]+)*\+*/gu;

/** Like WORD, with `_` joining too, so that a snake_case identifier ("max_tokens", "__init__") is one compound. */
const TERM_WORD = /[\p{L}\p{N}]+(?:(?:[-.'’/+]|_+)[\p{L}\p{N}]+)*\+*/gu;

/** Splits text into lower-cased surface words (no stemming, no stopword removal). */
export function words(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(WORD) ?? [];
}

/**
 * BM25 terms for a text: lower-cased, stopwords removed, stemmed. A compound word
 * ("multi-head", "fine-tuning", "stop_reason") yields its parts and their concatenation, so
 * "multihead", "multi head" and "multi-head" all meet, and so do "stop reason" and "stop_reason".
 *
 * @example
 * analyze('Grouped-Query Attention vs MQA', 'en') // ['group', 'queri', 'groupedqueri', 'atten', 'mqa']
 * analyze('max_tokens', 'en') // ['max', 'token', 'maxtoken']
 */
export function analyze(text: string, lang: AnalyzerLanguage): string[] {
  const stop = STOPWORDS[lang];
  const stem = STEMMERS[lang];
  const out: string[] = [];
  for (const word of text.normalize('NFKC').toLowerCase().match(TERM_WORD) ?? []) {
    const parts = word.split(/[-.'’/_]+/).filter((p) => p.length > 0);
    if (parts.length > 1) {
      for (const part of parts) if (!stop.has(part)) out.push(stemToken(part, stem));
      out.push(stemToken(parts.join(''), stem));
    } else if (!stop.has(word)) {
      out.push(stemToken(word, stem));
    }
  }
  return out;
}

/** Tokens with digits ("70b", "p99", "gpt4") and very short acronyms are not stemmed. */
function stemToken(token: string, stem: (w: string) => string): string {
  if (token.length <= 3 || /\d/.test(token)) return token;
  return stem(token);
}

export function isStopword(word: string, lang: AnalyzerLanguage): boolean {
  return STOPWORDS[lang].has(word.toLowerCase());
}
