/**
 * German → English query translation from an offline dictionary (Ding, via
 * Debian's trans-de-en; see data/README.md), so that German questions can be
 * embedded with an English-only model.
 *
 * The translation is word-by-word and aims at retrieval, not fluency: German
 * function words are dropped, technical terms / acronyms / numbers / English
 * words are kept, the rest is looked up (with simple de-inflection and
 * compound splitting) and the best translation of each word is joined.
 *
 * @example
 * const t = DeEnTranslator.load();
 * t.translate('Wie reduziert man die Inferenzkosten eines 70B-Modells?').text;
 * // → 'reduced inference cost 70B model'
 * isLikelyGerman('Was ist der Unterschied zwischen LoRA und QLoRA?'); // true
 * isLikelyGerman('GQA vs MQA'); // false
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, parse, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export interface TranslatedToken {
  /** The German (source) word as written. */
  de: string;
  /** English rendering(s), best first; a kept term maps to itself. */
  en: string[];
}

export interface Translation {
  /** English query text. */
  text: string;
  /** Content tokens (stopwords are omitted) and their renderings. */
  tokens: TranslatedToken[];
}

export interface TranslateOptions {
  /**
   * How many translations of a dictionary word go into `text` (default 1).
   * With 2 the runner-up is added when it is a single, different word.
   */
  alternatives?: 1 | 2;
}

interface DictFile {
  version: number;
  source: string;
  license: string;
  entries: Record<string, string[]>;
  english: string;
}

const DICT_FILE = join('data', 'de-en-dict.json.gz');

/**
 * Directory of the nearest package.json above `start` (a file URL or path).
 * Works from `src/lang/` (vitest, tsx) and from the compiled `dist/src/lang/`.
 */
export function findPackageRoot(start: string | URL = import.meta.url): string {
  let dir = toPath(start);
  if (existsSync(dir) && !existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  const { root } = parse(dir);
  let firstWithPackage: string | undefined;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) {
      firstWithPackage ??= dir;
      if (existsSync(join(dir, DICT_FILE))) return dir;
    }
    if (dir === root) break;
    dir = dirname(dir);
  }
  if (firstWithPackage !== undefined) return firstWithPackage;
  throw new Error(`no package.json above ${toPath(start)}`);
}

function toPath(p: string | URL): string {
  if (p instanceof URL) return fileURLToPath(p);
  return p.startsWith('file:') ? fileURLToPath(p) : resolve(p);
}

/** Default dictionary location: `<package root>/data/de-en-dict.json.gz`. */
export function defaultDictPath(): string {
  return join(findPackageRoot(new URL('.', import.meta.url)), DICT_FILE);
}

// ---------------------------------------------------------------------------
// Stopwords

const require = createRequire(import.meta.url);
const stopwordsIso = require('stopwords-iso') as Record<string, string[] | undefined>;

/**
 * Words in stopwords-iso's German list that carry meaning in a technical
 * question and must not be dropped.
 */
const KEEP_DE = new Set([
  'beispiel', 'bekannt', 'besonders', 'besser', 'besten', 'ende', 'ernst', 'früher', 'später',
  'gross', 'grosse', 'grossen', 'grosser', 'grosses', 'groß', 'große', 'großen', 'großer', 'großes',
  'gut', 'gute', 'guter', 'gutes', 'schlecht', 'hoch', 'klein', 'kleine', 'kleinen', 'kleiner', 'kleines',
  'kurz', 'lang', 'lange', 'leicht', 'mensch', 'menschen', 'neue', 'neuen', 'offen', 'richtig',
  'zeit', 'teil', 'ordnung', 'mittel', 'suche', 'wahr', 'möglich', 'weniger', 'wenig', 'wenige',
  'mehr', 'viel', 'viele', 'vielen', 'ohne', 'gegen', 'zwischen', 'zusammen', 'gleich', 'statt',
  'schluss', 'sache', 'tag', 'tage', 'tagen', 'jahr', 'jahre', 'jahren', 'uhr', 'morgen', 'heute',
  'sechs', 'sieben', 'acht', 'neun', 'zehn', 'elf', 'zwölf', 'zwanzig', 'drei', 'vier', 'fünf', 'zwei',
  'erste', 'ersten', 'erster', 'erstes', 'zweite', 'zweiten', 'dritte', 'dritten',
  'eigen', 'eigene', 'eigenen', 'eigener', 'eigenes', 'ganz', 'ganze', 'ganzen', 'weit', 'weiter',
  'weitere', 'weiteren', 'folgende', 'wissen', 'machen', 'macht', 'gemacht', 'kommen', 'gehen', 'tun',
  'startseite', 'anders', 'andere', 'anderen', 'gerade', 'oben', 'zurück',
]);

/** Function words missing from stopwords-iso (or worth being explicit about). */
const EXTRA_DE_STOP = [
  'bzw', 'usw', 'etc', 'ca', 'z.b', 'd.h', 'u.a', 'ggf', 'evtl', 'sowohl', 'hierbei', 'hinsichtlich',
  'insbesondere', 'eigentlich', 'jeweils', 'einfach', 'bitte', 'gibt', 'geben', 'gib',
  'welchen', 'welchem', 'wodurch', 'womit', 'wofür', 'worin', 'worauf', 'wozu', 'woran', 'derzeit',
  'dabei', 'sollte', 'solltest', 'würdest', 'könntest', 'kannst', 'musst', 'hast', 'bist', 'wirst',
  'man', 'einem', 'eines', 'einer', 'mittels', 'sodass', 'damit', 'bevor', 'sobald',
];

const DE_STOP: ReadonlySet<string> = new Set(
  [...(stopwordsIso['de'] ?? []), ...EXTRA_DE_STOP]
    .map((w) => w.toLowerCase())
    .filter((w) => !KEEP_DE.has(w)),
);

/** English words that are never translated content in a German query ("vs"). */
const NEUTRAL_KEEP = new Set(['vs', 'vs.', 'via', 'pro', 'per']);

// ---------------------------------------------------------------------------
// Language detection

/** Frequent German function words that are not English words. */
const DE_STRONG = new Set([
  'der', 'das', 'und', 'ist', 'sind', 'wie', 'warum', 'wieso', 'weshalb', 'welche', 'welcher',
  'welches', 'welchen', 'welchem', 'zwischen', 'bei', 'beim', 'mit', 'für', 'nicht', 'ein', 'eine',
  'einen', 'einem', 'einer', 'eines', 'den', 'dem', 'des', 'zum', 'zur', 'auf', 'aus', 'von', 'vom',
  'im', 'ins', 'ob', 'oder', 'aber', 'wenn', 'dass', 'daß', 'kann', 'kannst', 'können', 'wird',
  'werden', 'wurde', 'würde', 'würdest', 'habe', 'haben', 'hast', 'nach', 'über', 'unter', 'durch',
  'gegen', 'ohne', 'sich', 'auch', 'noch', 'nur', 'schon', 'sehr', 'mehr', 'wann', 'wo', 'wer',
  'ich', 'du', 'wir', 'ihr', 'mein', 'dein', 'unser', 'kein', 'keine', 'diese', 'dieser', 'dieses',
  'jede', 'jeder', 'jedes', 'alle', 'viele', 'welcher', 'sowie', 'sollte', 'sollten', 'muss',
  'müssen', 'gibt', 'einige', 'mehrere', 'wobei', 'damit', 'dabei', 'deine', 'deiner', 'deinen',
  'ihre', 'ihren', 'seine', 'seinen', 'bzw', 'usw', 'zwar', 'sondern', 'sowohl', 'weil', 'obwohl',
  'während', 'trotz', 'wegen', 'statt', 'anstatt', 'anstelle', 'gegenüber', 'bzgl', 'möglich',
  'derzeit', 'bereits', 'jedoch', 'immer', 'häufig', 'besonders', 'insbesondere', 'vielleicht',
  'wirklich', 'eigentlich', 'zusammen', 'später', 'heute', 'sowie', 'etwa', 'bzw', 'zb', 'usw',
  'mich', 'mir', 'dich', 'dir', 'uns', 'euch', 'ihm', 'ihn', 'ihnen', 'dessen', 'deren', 'wurden',
  'worden', 'sein', 'seid', 'bist', 'wäre', 'hätte', 'könnte', 'sollte', 'möchte', 'möchtest',
  'gibt', 'geht', 'macht', 'viel', 'wenig', 'weniger', 'besser', 'schlecht', 'neue', 'neuen',
  // typical imperatives / verbs of interview questions
  'erkläre', 'erklären', 'erklärt', 'beschreibe', 'beschreiben', 'vergleiche', 'vergleichen',
  'nenne', 'nennen', 'entwirf', 'entwerfe', 'entwerfen', 'implementiere', 'definiere', 'zeige',
  'funktioniert', 'funktionieren', 'unterschied', 'unterschiede', 'vorteile', 'nachteile', 'gib',
]);

/** German function words that are also English words: weak evidence only. */
const DE_WEAK = new Set([
  'die', 'was', 'man', 'will', 'also', 'so', 'in', 'an', 'am', 'um', 'war', 'bin', 'hat', 'es',
  'sie', 'er', 'zu', 'da', 'wo', 'hier', 'denn', 'bis', 'vor', 'rund', 'mal',
]);

const EN_FUNCTION = new Set([
  'the', 'and', 'is', 'are', 'what', 'why', 'how', 'which', 'between', 'with', 'for', 'not', 'a',
  'of', 'to', 'does', 'do', 'you', 'your', 'can', 'should', 'would', 'could', 'when', 'where', 'who',
  'this', 'that', 'these', 'those', 'it', 'its', 'be', 'been', 'has', 'have', 'from', 'by', 'on',
  'at', 'or', 'about', 'into', 'than', 'then', 'there', 'their', 'they', 'we', 'our', 'if', 'use',
  'using', 'explain', 'describe', 'compare', 'difference', 'work', 'works', 'best',
  'way', 'ways', 'over', 'under', 'without', 'while', 'during', 'after', 'before', 'all', 'any',
  'some', 'many', 'much', 'more', 'most', 'an', 'in', 'so', 'was', 'will', 'also', 'get', 'make', 'give',
]);
// "vs" / "versus" are used in both languages: no evidence either way.

const GERMAN_SUFFIX = /(?:ung|ungen|keit|keiten|heit|heiten|schaft|lich|liche|lichen|isch|ische|ischen|ieren|iert|ierst|ierte|tät|täten)$/;

/**
 * Heuristic language check for short queries: is this German rather than
 * English (or language-neutral keywords)? German function words are strong
 * evidence, umlauts/ß and typical German suffixes weaker evidence; English
 * function words count against. Keyword-only queries ("GQA vs MQA") and
 * English questions that merely contain German-looking terms return false.
 */
export function isLikelyGerman(text: string): boolean {
  const { de, en } = germanEvidence(text);
  return de >= 1 && de > en * 1.25;
}

/** Words of a text for language detection: no URLs, no tokens glued to digits ("1ein9vh"). */
function detectionWords(text: string): string[] {
  return (
    text
      .replace(/\b(?:https?|ftp):\/\/\S+|\bwww\.\S+/gi, ' ')
      .toLowerCase()
      .match(/(?<![\p{L}\p{N}_])\p{L}+(?![\p{L}\p{N}_])/gu) ?? []
  );
}

function germanEvidence(text: string): { de: number; en: number; words: string[] } {
  // quoted titles ("Lost in the Middle") say nothing about the language of the question
  const unquoted = text.replace(/"[^"]*"|“[^”]*”|„[^“”]*[“”]|«[^»]*»/g, ' ');
  const rest = detectionWords(unquoted);
  const words = rest.length >= 2 ? rest : detectionWords(text);
  let de = 0;
  let en = 0;
  let umlautWords = 0;
  for (const w of words) {
    if (DE_STRONG.has(w)) de += 1;
    else if (DE_WEAK.has(w)) de += 0.4;
    else if (/[äöüß]/.test(w)) umlautWords++;
    else if (w.length >= 6 && GERMAN_SUFFIX.test(w)) de += 0.5;
    if (EN_FUNCTION.has(w)) en += DE_WEAK.has(w) ? 0.4 : 1;
  }
  de += Math.min(umlautWords, 3) * 0.6;
  return { de, en, words };
}

// ---------------------------------------------------------------------------
// Morphology. `deinflections` and the compound splitter are mirrored in
// scripts/build-de-en-dict.mjs (which leaves out dictionary keys these
// functions reproduce): keep the two in sync.

/** Endings removed by de-inflection, longest first. */
const ENDINGS = [
  'sten', 'ster', 'stes', 'stem', 'ste', 'est', 'ern', 'en', 'er', 'es', 'em', 'st', 'et', 'e', 'n', 's', 't',
];
/** Linking morphemes ("Fugenelemente") between compound parts. */
const LINKS = ['', 's', 'es', 'n', 'en', 'e', 'er'];
const MIN_PART = 3;

/** Base-form candidates of a lower-case German word form, most likely first. */
export function deinflections(w: string): string[] {
  const out: string[] = [];
  const push = (s: string): void => {
    if (s.length >= 2 && s !== w && !out.includes(s)) out.push(s);
  };
  // superlatives: "schlimmste" → "schlimmsten" (Ding lists "am schlimmsten")
  if (/st(e|es|er|em)$/.test(w)) push(w.replace(/st(e|es|er|em)$/, 'sten'));
  // present participles: "skalierendes" → "skalieren"
  if (/[^aeiouäöü]end(e|es|er|em|en)?$/.test(w)) push(w.replace(/end(e|es|er|em|en)?$/, 'en'));
  const stems: string[] = [];
  for (const e of ENDINGS) {
    if (w.length - e.length >= 3 && w.endsWith(e)) stems.push(w.slice(0, -e.length));
  }
  for (const s of stems) {
    push(s);
    push(s + 'en'); // erklärst → erklären, implementierst → implementieren
    push(s + 'e');
    push(s + 'n');
  }
  // imperative "entwirf" → "entwerfen"
  if (/i[^aeiouäöü]+$/.test(w)) push(w.replace(/i([^aeiouäöü]+)$/, 'e$1') + 'en');
  // present tense with e → i: "misst" → "messen", "gibt" → "geben", "sieht" → "sehen"
  const eStem = /^(.*)(ie|i)([^aeiouäöü]*)t$/.exec(w);
  if (eStem && w.length >= 4) push(`${eStem[1]}e${eStem[3]}en`);
  const withUmlauts = out.slice();
  for (const s of [w, ...withUmlauts]) {
    if (/[äöü]/.test(s)) push(s.replace(/äu/g, 'au').replace(/ä/g, 'a').replace(/ö/g, 'o').replace(/ü/g, 'u'));
  }
  if (w.includes('ß')) push(w.replace(/ß/g, 'ss'));
  if (w.includes('ss')) push(w.replace(/ss/g, 'ß'));
  return out;
}

/**
 * Cognate rules for learned words missing from the dictionary
 * (Tokenisierung → tokenization, Latenz → latency, Toxizität → toxicity).
 * A guess is used only when it is a known English word.
 */
const COGNATE_RULES: readonly [RegExp, readonly string[]][] = [
  [/isierungen$/, ['izations', 'isations']],
  [/isierung$/, ['ization', 'isation']],
  [/ierungen$/, ['ations']],
  [/ierung$/, ['ation']],
  [/izitäten$/, ['icities']],
  [/izität$/, ['icity']],
  [/itäten$/, ['ities']],
  [/ität$/, ['ity']],
  [/tionen$/, ['tions']],
  [/enzen$/, ['ences', 'encies']],
  [/enz$/, ['ence', 'ency']],
  [/anz$/, ['ance', 'ancy']],
  [/ismus$/, ['ism']],
  [/ieren$/, ['e', 'ate']],
  [/iert$/, ['ed', 'ated']],
  [/ik$/, ['ics', 'ic']],
  [/ie$/, ['y']],
  [/ien$/, ['ies']],
];

function capitalize(w: string): string {
  return w.charAt(0).toUpperCase() + w.slice(1);
}

function isCapitalized(w: string): boolean {
  return /^\p{Lu}\p{Ll}/u.test(w);
}

const PARTICLES = new Set([
  'ab', 'an', 'auf', 'aus', 'bei', 'dar', 'durch', 'ein', 'fest', 'her', 'hin', 'hinzu', 'mit', 'nach',
  'vor', 'weg', 'zu', 'zurück', 'zusammen', 'um', 'los', 'fort', 'weiter', 'vorbei', 'heraus', 'herunter',
  'hoch', 'voran', 'vorher', 'wieder', 'entgegen', 'bereit', 'statt', 'teil',
]);

/** English function words that never occur in German text: their clause is English. */
const EN_MARKERS = new Set(['the', 'of', 'and', 'with', 'for', 'is', 'are', 'to', 'from', 'by', 'this', 'that', 'what', 'how', 'why', 'which', 'does', 'its', 'their', 'your', 'you']);

/** Two-letter English function words (the English vocabulary only has words of 3+ letters). */
const EN_SMALL = new Set(['a', 'an', 'as', 'at', 'be', 'by', 'do', 'go', 'if', 'in', 'is', 'it', 'of', 'on', 'or', 'to', 'up', 'vs']);

/** Language-neutral prefixes kept as written in hyphenated compounds ("Multi-Agenten-System"). */
const NEUTRAL_PREFIX = new Set(['multi', 'meta', 'mega', 'mini', 'semi', 'pseudo', 'hyper', 'super', 'ultra', 'cross', 'pre', 'post', 'non', 'co', 're', 'de', 'sub', 'self', 'auto', 'mikro', 'micro', 'makro', 'macro']);

// ---------------------------------------------------------------------------
// Translator

interface Token {
  text: string;
  /** First word of a sentence, heading or list item. */
  sentenceStart: boolean;
  /** Index of the clause (split at , ; : ( ) . ! ? and line breaks). */
  clause: number;
}

interface Lookup {
  en: readonly string[];
  how: 'dict' | 'inflected' | 'phrase' | 'separable' | 'compound' | 'cognate' | 'kept';
}

interface Part {
  part: string;
  en: readonly string[];
}

const cache = new Map<string, LoadedDict>();

interface LoadedDict {
  /** The parsed JSON object itself (no copy into a Map: loading stays fast); read with Object.hasOwn. */
  entries: Readonly<Record<string, readonly string[]>>;
  size: number;
  english: ReadonlySet<string>;
  source: string;
}

function readDict(path: string): LoadedDict {
  const raw = gunzipSync(readFileSync(path)).toString('utf8');
  const data = JSON.parse(raw) as DictFile;
  if (data.version !== 1 || typeof data.entries !== 'object' || typeof data.english !== 'string') {
    throw new Error(`${path}: not a de-en dictionary (version 1)`);
  }
  return {
    entries: data.entries,
    size: Object.keys(data.entries).length,
    english: new Set(data.english.split(' ')),
    source: data.source,
  };
}

export class DeEnTranslator {
  readonly path: string;
  #dict: LoadedDict | undefined;

  private constructor(path: string) {
    this.path = path;
  }

  /**
   * A translator over the dictionary at `path` (default: the package's
   * `data/de-en-dict.json.gz`). The file is read synchronously on first use
   * and cached per path for the life of the process.
   */
  static load(path?: string): DeEnTranslator {
    return new DeEnTranslator(resolve(path ?? defaultDictPath()));
  }

  /** Attribution of the dictionary data. */
  get source(): string {
    return this.dict.source;
  }

  /** Number of German keys in the dictionary. */
  get size(): number {
    return this.dict.size;
  }

  private get dict(): LoadedDict {
    if (this.#dict) return this.#dict;
    let d = cache.get(this.path);
    if (!d) {
      d = readDict(this.path);
      cache.set(this.path, d);
    }
    this.#dict = d;
    return d;
  }

  /**
   * Dictionary translations of one German word (nouns are found under their
   * capitalised form, other words lower-case), best first.
   */
  lookup(word: string): readonly string[] | undefined {
    return this.get(word) ?? this.get(word.toLowerCase()) ?? this.get(capitalize(word.toLowerCase()));
  }

  /**
   * Like {@link isLikelyGerman}, plus dictionary evidence: words that are
   * German (directly, inflected or as a compound) but not English count for
   * German, English-only words weakly against. Catches keyword queries
   * without function words ("Inferenzkosten senken", "Unterschied LoRA QLoRA").
   */
  isGerman(text: string): boolean {
    const { de, en, words } = germanEvidence(text);
    let d = de;
    let e = en;
    for (const w of new Set(words)) {
      if (w.length < 4 || DE_STRONG.has(w) || DE_WEAK.has(w) || EN_FUNCTION.has(w) || DE_STOP.has(w)) continue;
      const english = this.dict.english.has(w);
      const german =
        this.get(w) !== undefined ||
        this.get(capitalize(w)) !== undefined ||
        deinflections(w).some((f) => this.get(f) !== undefined || this.get(capitalize(f)) !== undefined) ||
        (!english && this.splitCompound(w, 'noun') !== undefined);
      if (german && !english) d += 0.8;
      else if (english && !german) e += 0.3;
    }
    return d >= 1 && d > e * 1.25;
  }

  /**
   * Translate German text into an English keyword query. Function words are
   * dropped; technical terms, acronyms, numbers and English words are kept;
   * every other word is looked up (phrases, separable verbs, de-inflection,
   * compound splitting, cognates) and rendered by its best translation.
   */
  translate(text: string, options: TranslateOptions = {}): Translation {
    const alternatives = options.alternatives ?? 1;
    const toks = tokenize(text);
    const cased = /\p{Ll}/u.test(text) && toks.some((t, i) => i > 0 && !t.sentenceStart && isCapitalized(t.text));
    const done = new Map<number, { de: string; lookup: Lookup } | null>();

    // separable verbs: "Leite ... her" → herleiten, "Wie führst du ... durch" → durchführen
    this.joinSeparableVerbs(toks, done);

    const tokens: TranslatedToken[] = [];
    const out: string[] = [];
    for (let i = 0; i < toks.length; i++) {
      const tok = toks[i];
      if (!tok) continue;
      let de = tok.text;
      let lookup: Lookup | undefined;
      const pre = done.get(i);
      if (pre === null) continue;
      if (pre) {
        de = pre.de;
        lookup = pre.lookup;
      } else {
        const phrase = this.phraseAt(toks, i);
        if (phrase) {
          de = toks.slice(i, i + phrase.length).map((t) => t.text).join(' ');
          lookup = { en: phrase.en, how: 'phrase' };
          i += phrase.length - 1;
        } else {
          // "Vor- und Nachteile": complete "Vor-" with the head of the next compound
          if (de.endsWith('-')) {
            const next = toks[i + 2]?.text;
            if (next?.includes('-')) {
              de += next.slice(next.lastIndexOf('-') + 1); // "Encoder- und Decoder-Modelle" → Encoder-Modelle
            } else {
              const head = next !== undefined ? this.compoundHead(next) : undefined;
              de = head !== undefined ? de.slice(0, -1) + head : de.slice(0, -1);
            }
          }
          lookup = this.translateToken(de, toks, i, cased);
        }
      }
      if (!lookup || lookup.en.length === 0) continue;
      const best = lookup.en[0] ?? '';
      tokens.push({ de, en: [...lookup.en] });
      out.push(best);
      const second = lookup.en[1];
      const translated = lookup.how === 'dict' || lookup.how === 'inflected' || lookup.how === 'phrase';
      if (alternatives === 2 && translated && second !== undefined && !second.includes(' ')) out.push(second);
    }
    return { text: dedupeWords(out.join(' ')), tokens };
  }

  // -------------------------------------------------------------------------
  // Tokens

  private translateToken(word: string, toks: readonly Token[], i: number, cased: boolean): Lookup | undefined {
    const tok = toks[i];
    const lower = word.toLowerCase();
    if (DE_STOP.has(lower)) return undefined;
    if (isTechnical(word) || NEUTRAL_KEEP.has(lower)) return { en: [word], how: 'kept' };

    if (/[-/]/.test(word)) {
      const parts = word.split(/[-/]/).filter(Boolean);
      const englishContext = parts.some((p) => isTechnical(p) || this.isEnglishOnly(p));
      const rendered: Lookup[] = [];
      for (const [k, p] of parts.entries()) {
        const pl = p.toLowerCase();
        if (k > 0 && /\d$/.test(parts[k - 1] ?? '') && /^fach(e|en|er|es|em)?$/.test(pl)) {
          rendered.push({ en: ['fold'], how: 'dict' }); // 5-10-fache → 5 10 fold
          continue;
        }
        if (
          isTechnical(p) ||
          /\d/.test(p) ||
          (this.isEnglishWord(pl) && !(this.lookup(p) ?? []).some((e) => isCognate(pl, e))) ||
          (k < parts.length - 1 && NEUTRAL_PREFIX.has(pl))
        ) {
          rendered.push({ en: [p], how: 'kept' });
          continue;
        }
        if (DE_STOP.has(pl)) {
          if (englishContext) rendered.push({ en: [p], how: 'kept' });
          continue;
        }
        // unknown words next to English / technical parts are often names: split them only when clear-cut
        rendered.push(this.translateWord(p, isCapitalized(p) ? 'noun' : 'other', cased, !englishContext));
      }
      if (rendered.every((r) => r.how === 'kept')) return { en: [word], how: 'kept' };
      const best = rendered.map((r) => r.en[0] ?? '').filter(Boolean).join(' ');
      return { en: [best], how: 'compound' };
    }

    // A German word that is also an English word ("Store", "Lost", "Prompt") in an English run:
    // next to an English-only word, or in a clause with English function words ("Lost in the Middle")
    if (this.isEnglishWord(lower)) {
      const neighbours = [toks[i - 1], toks[i + 1]].filter((t): t is Token => t !== undefined && t.clause === tok?.clause);
      const clause = toks.filter((t) => t.clause === tok?.clause);
      if (
        neighbours.some((t) => this.isEnglishOnly(t.text)) ||
        clause.some((t) => EN_MARKERS.has(t.text.toLowerCase()))
      ) {
        return { en: [word], how: 'kept' };
      }
    }

    let pref: 'noun' | 'other' | 'verb-first';
    if (!isCapitalized(word)) pref = 'other';
    else if (tok?.sentenceStart) pref = /e$/.test(lower) ? 'verb-first' : 'noun';
    else pref = 'noun';
    return this.translateWord(word, pref, cased);
  }

  /** An English word (3+ letters from the dictionary's English side, or a short function word). */
  private isEnglishWord(lower: string): boolean {
    return (lower.length >= 4 && this.dict.english.has(lower)) || EN_SMALL.has(lower);
  }

  /** An English word that is not also a German word. */
  private isEnglishOnly(word: string): boolean {
    if (isTechnical(word)) return true;
    const w = word.toLowerCase();
    if (!/^[a-z]+$/.test(w) || DE_STOP.has(w)) return false;
    return this.dict.english.has(w) && !this.get(w) && !this.get(capitalize(w));
  }

  private get(key: string): readonly string[] | undefined {
    const { entries } = this.dict;
    if (!Object.hasOwn(entries, key)) return undefined;
    const hit = entries[key];
    return hit && hit.length > 0 ? hit : undefined;
  }

  /**
   * One word. `pref` says which reading to try first: a noun (capitalised
   * key), another word class, or - for a capitalised sentence-initial word
   * ending in -e - an imperative verb ("Erkläre", "Baue").
   */
  private translateWord(word: string, pref: 'noun' | 'other' | 'verb-first', cased: boolean, split = true): Lookup {
    if (isTechnical(word) || /\d/.test(word)) return { en: [word], how: 'kept' };
    const lower = word.toLowerCase();
    const cap = capitalize(lower);
    const forms = deinflections(lower);

    const exactOther = this.get(lower);
    const exactNoun = this.get(cap);
    const inflOther = (): readonly string[] | undefined => firstHit(forms, (f) => this.get(f));
    const inflNoun = (): readonly string[] | undefined => firstHit(forms, (f) => this.get(capitalize(f)));

    const order: (() => [readonly string[] | undefined, Lookup['how']])[] =
      pref === 'noun'
        ? [() => [exactNoun, 'dict'], () => [exactOther, 'dict'], () => [inflNoun(), 'inflected'], () => [inflOther(), 'inflected']]
        : pref === 'verb-first'
          ? [
              () => [firstHit(forms.filter((f) => /e?n$/.test(f) && f.startsWith(lower.slice(0, -1))), (f) => this.get(f)), 'inflected'],
              () => [exactOther, 'dict'],
              () => [inflOther(), 'inflected'],
              () => [exactNoun, 'dict'],
              () => [inflNoun(), 'inflected'],
            ]
          : [() => [exactOther, 'dict'], () => [inflOther(), 'inflected']];
    for (const step of order) {
      const [hit, how] = step();
      if (hit) return { en: preferLoanword(lower, hit), how };
    }
    // lower-case word: an English word in a properly cased German text, else
    // maybe a noun typed in lower case
    if (pref === 'other') {
      if (this.isEnglishWord(lower) && (cased || !exactNoun)) return { en: [word], how: 'kept' };
      const noun = exactNoun ?? inflNoun();
      if (noun) return { en: preferLoanword(lower, noun), how: exactNoun ? 'dict' : 'inflected' };
    }
    if (/^[a-z]+$/.test(lower) && this.dict.english.has(lower)) return { en: [word], how: 'kept' };

    const cognate = firstHit([lower, ...forms], (f) => this.cognate(f));
    if (cognate) return { en: [cognate], how: 'cognate' };

    // German noun compounds are capitalised; lower-case compounds are adjectives / verbs
    const parts = this.splitCompound(lower, cased && pref === 'other' ? 'other' : 'noun');
    // inside English / technical terms only clear-cut splits: "Serversystem" yes, "Autograd" no
    if (parts && (split || parts.every((p) => p.part.length >= 5))) return { en: [parts.map((p) => p.en[0] ?? p.part).join(' ')], how: 'compound' };
    return { en: [word], how: 'kept' };
  }

  // -------------------------------------------------------------------------
  // Phrases and separable verbs

  /** Longest dictionary phrase (2-3 words) starting at token i. */
  private phraseAt(toks: readonly Token[], i: number): { length: number; en: readonly string[] } | undefined {
    const first = toks[i];
    if (!first) return undefined;
    for (const n of [3, 2]) {
      const window = toks.slice(i, i + n);
      if (window.length < n || window.some((t) => t.clause !== first.clause || /[-/\d]/.test(t.text) || isTechnical(t.text))) {
        continue;
      }
      const words = window.map((t) => t.text.toLowerCase());
      const hit = this.get(words.join(' '));
      if (hit) return { length: n, en: hit };
      if (n === 2) {
        // adjective + noun with inflected forms: "neuronalen Netzen" → "neuronales netz"
        const [a, b] = words as [string, string];
        if (DE_STOP.has(a)) continue;
        const adjs = [a, ...['e', 'es', 'er', 'en', 'em'].filter((e) => a.endsWith(e)).flatMap((e) => {
          const stem = a.slice(0, -e.length);
          return [stem, stem + 'e', stem + 'es', stem + 'er'];
        })];
        const nouns = [b, ...deinflections(b)];
        for (const x of adjs) {
          for (const y of nouns) {
            const h = this.get(`${x} ${y}`);
            if (h) return { length: 2, en: h };
          }
        }
      }
    }
    return undefined;
  }

  /**
   * German separable verbs put their particle at the end of the clause:
   * "Leite die Scaling Laws her" (herleiten), "Bereite dich darauf vor"
   * (vorbereiten). The verb is one of the first words of the clause.
   */
  private joinSeparableVerbs(toks: readonly Token[], done: Map<number, { de: string; lookup: Lookup } | null>): void {
    for (let end = 0; end < toks.length; end++) {
      const last = toks[end];
      if (!last) continue;
      const next = toks[end + 1];
      if (next && next.clause === last.clause) continue; // not clause-final
      const particle = last.text.toLowerCase();
      if (!PARTICLES.has(particle)) continue;
      let start = end;
      while (start > 0 && toks[start - 1]?.clause === last.clause) start--;
      if (end - start < 2) continue;
      for (let v = start; v < Math.min(start + 3, end); v++) {
        const verb = toks[v];
        if (!verb || done.has(v) || isTechnical(verb.text) || /[-\d]/.test(verb.text)) continue;
        if (isCapitalized(verb.text) && !verb.sentenceStart) continue; // a noun
        const lower = verb.text.toLowerCase();
        const hit = firstHit([lower, ...deinflections(lower)], (f) => this.get(particle + f));
        if (hit) {
          done.set(v, { de: `${verb.text} … ${last.text}`, lookup: { en: hit, how: 'separable' } });
          done.set(end, null);
          break;
        }
      }
    }
  }

  // -------------------------------------------------------------------------
  // Compounds and cognates

  private lookupPart(part: string, last: boolean, lastPref: 'noun' | 'other'): readonly string[] | undefined {
    const cap = capitalize(part);
    if (last) {
      if (lastPref === 'other') return this.get(part) ?? firstHit(deinflections(part), (f) => this.get(f));
      return (
        this.get(cap) ??
        this.get(part) ??
        firstHit(deinflections(part), (f) => this.get(capitalize(f)) ?? this.get(f)) ??
        this.cognateList(part)
      );
    }
    // non-final parts: nouns first, which often drop a final -e/-en (Sprach|modell, Such|maschine);
    // then adjectives and verb stems (Echt|zeit, Lern|rate)
    return (
      this.get(cap) ??
      firstHit(['e', 'en', 'n'], (s) => this.get(cap + s)) ??
      this.get(part) ??
      firstHit(['e', 'en', 'n'], (s) => this.get(part + s)) ??
      this.cognateList(part)
    );
  }

  /**
   * Split an unknown compound into known parts (fewest parts, then longest
   * parts), allowing linking morphemes: Inferenz|kosten, Schwierigkeit|s|grad.
   */
  private splitCompound(w: string, lastPref: 'noun' | 'other'): Part[] | undefined {
    if (w.length < 2 * MIN_PART) return undefined;
    interface Best {
      cost: number;
      parts: Part[];
    }
    const memo = new Map<number, Best | null>();
    const solve = (start: number): Best | null => {
      const cached = memo.get(start);
      if (cached !== undefined) return cached;
      let best: Best | null = null;
      for (let end = w.length; end >= start + MIN_PART; end--) {
        const part = w.slice(start, end);
        const last = end === w.length;
        const en = this.lookupPart(part, last, lastPref);
        if (!en) continue;
        // short parts are often spurious ("tor", "ion"): penalise them
        const partCost = 1 + (part.length <= 3 ? 0.6 : part.length === 4 ? 0.2 : 0);
        if (last) {
          if (!best || partCost < best.cost) best = { cost: partCost, parts: [{ part, en }] };
          continue;
        }
        for (const link of LINKS) {
          if (!w.startsWith(link, end)) continue;
          const restStart = end + link.length;
          if (w.length - restStart < MIN_PART) continue;
          const rest = solve(restStart);
          if (!rest) continue;
          const cost = partCost + rest.cost + (link ? 0.05 : 0);
          if (!best || cost < best.cost) best = { cost, parts: [{ part, en }, ...rest.parts] };
        }
      }
      memo.set(start, best);
      return best;
    };
    const best = solve(0);
    if (!best || best.parts.length < 2) return undefined;
    return best.parts;
  }

  /** Last part of a compound as written ("Nachteile" → "teile"). */
  private compoundHead(word: string): string | undefined {
    const lower = word.toLowerCase();
    const parts = this.splitCompound(lower, 'noun');
    if (parts) return parts[parts.length - 1]?.part;
    // the word itself is in the dictionary: find a known head
    for (let i = MIN_PART; i <= lower.length - MIN_PART; i++) {
      const head = lower.slice(i);
      if (this.get(capitalize(head)) ?? firstHit(deinflections(head), (f) => this.get(capitalize(f)))) return head;
    }
    return undefined;
  }

  private cognateList(w: string): readonly string[] | undefined {
    const c = this.cognate(w);
    return c === undefined ? undefined : [c];
  }

  private cognate(w: string): string | undefined {
    if (w.length < 5) return undefined;
    const { english } = this.dict;
    for (const [re, repls] of COGNATE_RULES) {
      if (!re.test(w)) continue;
      const stem = w.replace(re, '');
      const plain = stem.replace(/ä/g, 'a').replace(/ö/g, 'o').replace(/ü/g, 'u');
      const latin = plain.replace(/k/g, 'c').replace(/z/g, 'c');
      for (const repl of repls) {
        for (const s of [latin, plain]) {
          if (english.has(s + repl)) return s + repl;
        }
      }
    }
    return undefined;
  }
}

/** A loanword's own spelling is its best rendering: "Online" → online (not "internet"). */
function preferLoanword(lower: string, en: readonly string[]): readonly string[] {
  const i = en.findIndex((e) => e.toLowerCase() === lower);
  return i <= 0 ? en : [en[i] ?? lower, ...en.filter((_, j) => j !== i)];
}

/** Same word in both languages, give or take spelling (Produkt / product, Qualität / quality)? */
function isCognate(de: string, en: string): boolean {
  const a = de.toLowerCase().replace(/ä/g, 'a').replace(/ö/g, 'o').replace(/ü/g, 'u').replace(/[kz]/g, 'c');
  const b = en.toLowerCase().replace(/z/g, 's').replace(/k/g, 'c');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i >= 4 && i >= 0.55 * Math.min(a.length, b.length);
}

function firstHit<T>(items: readonly string[], f: (s: string) => T | undefined): T | undefined {
  for (const it of items) {
    const r = f(it);
    if (r !== undefined) return r;
  }
  return undefined;
}

/**
 * Acronyms, mixed case, digits: LoRA, RAG, 70B, p99, PyTorch, vLLM, C++.
 * Such tokens are kept as written.
 */
function isTechnical(tok: string): boolean {
  if (/[-/]/.test(tok)) return false; // compounds are judged part by part
  if (/\d/.test(tok)) return true;
  if (/^[A-Z]{2,}s?$/.test(tok)) return true; // RAG, GPUs
  if (/\p{Ll}\p{Lu}/u.test(tok) || /^\p{Lu}{2,}\p{Ll}/u.test(tok)) return true; // LoRA, QLoRA, PyTorch, MLOps
  if (/[_+#@]/.test(tok)) return true; // C++, snake_case
  return false;
}

/** Conjunctions that start a new clause (for separable-verb particles and English runs). */
const CLAUSE_WORDS = new Set(['und', 'oder', 'aber', 'sondern', 'dass', 'daß', 'weil', 'wenn', 'ob', 'obwohl', 'während', 'damit', 'sodass', 'bevor', 'nachdem', 'als']);

const ABBREVIATION = /^(?:vs|z\.b|d\.h|u\.a|bzw|usw|etc|ca|evtl|ggf|bspw|inkl|max|min|nr|dr|prof|bzgl|o\.ä|u\.ä|s|vgl)\.$/i;

/** Words, numbers and hyphenated compounds with sentence / clause positions; "Vor-" keeps its hyphen. */
function tokenize(text: string): Token[] {
  const re = /[\p{L}\p{N}](?:[\p{L}\p{N}_+#'’.]|[-/](?=[\p{L}\p{N}]))*(?:-(?=\s+(?:und|oder)\s))?/gu;
  const out: Token[] = [];
  let clause = 0;
  let last = 0;
  let prevRaw = '';
  for (const m of text.matchAll(re)) {
    const between = text.slice(last, m.index);
    const prevEndsSentence = prevRaw.endsWith('.') && !ABBREVIATION.test(prevRaw);
    const sentenceStart =
      out.length === 0 || prevEndsSentence || /[!?:\n]|\.\s|^\s*\.|#|\*\*|^\s*[-*]\s/.test(between) || /^\d+[.)]$/.test(prevRaw);
    let t = m[0].replace(/[’]/g, "'");
    if (out.length > 0 && (sentenceStart || /[,;:()"“”„«»]/.test(between) || CLAUSE_WORDS.has(t.toLowerCase()))) clause++;
    prevRaw = t;
    t = t.replace(/[.']+$/, '').replace(/'s$/, '');
    last = (m.index ?? 0) + m[0].length;
    if (!t) continue;
    out.push({ text: t, sentenceStart, clause });
  }
  return out;
}

function dedupeWords(s: string): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const w of s.split(/\s+/)) {
    if (!w) continue;
    const k = w.toLowerCase();
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(w);
  }
  return out.join(' ');
}
