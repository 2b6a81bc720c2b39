#!/usr/bin/env node
// Build data/de-en-dict.json.gz from the Ding German-English dictionary as
// shipped by Debian's `trans-de-en` package (/usr/share/trans/de-en).
//
//   apt-get install -y trans-de-en
//   node scripts/build-de-en-dict.mjs [SOURCE] [OUTPUT]
//
// Plain node, no dependencies. The output is deterministic for a given source
// file (sorted keys, stable scoring and tie-breaking, gzip without timestamp).
// DEBUG_KEY=<key> prints the scoring of one key to stderr.
//
// Source format (one entry per line):
//   German part | German part ... :: English part | English part ...
// Parts on both sides are aligned by position ("|"); within a part,
// alternatives are separated by ";". Part 0 is the headword group; further
// parts are inflections (plural, participles, comparative ...), sub-entries
// or example phrases. Annotations: {f} {m} {n} {pl} {vt} {adj} ..., [Am.]
// [comp.] ..., (...), <variant spellings>, /abbreviations/.
//
// Output (gzip of JSON):
//   {
//     "version": 1, "source": "...", "license": "GPL-2.0-or-later",
//     "entries": { "<key>": ["best", "second", ...], ... },
//     "english": "space separated, sorted English words seen in the dictionary"
//   }
// Keys are German single words (nouns capitalised as in German - "Kosten" -
// everything else lower-case - "kosten") and a few lower-cased two-word terms
// (adjective + noun: "neuronales netz"). Each maps to at most 4 English
// translations (2 for pure inflected forms), most common / general sense first.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const SRC = process.argv[2] ?? '/usr/share/trans/de-en';
const OUT = process.argv[3] ?? resolve(here, '..', 'data', 'de-en-dict.json.gz');
const DEBUG_KEY = process.env.DEBUG_KEY;

const MAX_TRANSLATIONS = 4;
/** Keys only seen as inflected forms / sub-entries keep fewer translations. */
const MAX_TRANSLATIONS_INFLECTED = 2;
const MAX_EN_WORDS = 3;
const MAX_EN_CHARS = 32;
/** Candidates scoring below this fraction of the best one are dropped. */
const MIN_RELATIVE_SCORE = 0.12;
/** Entries whose tags multiply to less than this are skipped entirely. */
const MIN_LINE_WEIGHT = 0.33;
/** Boost for a translation that is a cognate of the German word (Qualität/quality). */
const COGNATE_BOOST = 1.6;

// ---------------------------------------------------------------------------
// Tag weights. Rare registers and narrow domains rank lower; computing /
// maths / statistics senses rank a little higher (the target domain).
/** Register and regional tags: they qualify single alternatives. */
const REGISTER_WEIGHT = new Map(
  Object.entries({
    'archaic': 0.25, 'obs.': 0.25, 'veraltet': 0.25, 'altertümlich': 0.25, 'alt': 0.3,
    'dated': 0.4, 'veraltend': 0.4, 'rare': 0.35, 'selten': 0.35, 'poet.': 0.35,
    'slang': 0.35, 'vulg.': 0.2, 'pej.': 0.5, 'humor.': 0.4, 'iron.': 0.4, 'euphem.': 0.4,
    'coll.': 0.75, 'ugs.': 0.75, 'Jugendsprache': 0.4, 'Kindersprache': 0.3,
    "children’s": 0.3, 'Jägersprache': 0.3, "hunters’": 0.3, 'Sprw.': 0.4, 'prov.': 0.4,
    'geh.': 0.85, 'formal': 0.85, 'übtr.': 0.85, 'fig.': 0.85,
    'Schw.': 0.6, 'Ös.': 0.7, 'Bayr.': 0.5, 'Norddt.': 0.6, 'Süddt.': 0.6, 'Mitteldt.': 0.6,
    'Westdt.': 0.6, 'Ostdt.': 0.6, 'BW': 0.6, 'Südtirol': 0.5, 'Sc.': 0.6, 'Austr.': 0.8,
    'NZ': 0.8, 'Ir.': 0.8, 'Can.': 0.9,
  }),
);
/** Subject-field tags: they qualify the whole entry. */
const DOMAIN_WEIGHT = new Map(
  Object.entries({
    // narrow domains
    'ornith.': 0.3, 'zool.': 0.45, 'bot.': 0.45, 'myc.': 0.4, 'anat.': 0.6, 'med.': 0.7,
    'chem.': 0.7, 'biochem.': 0.6, 'pharm.': 0.6, 'geol.': 0.6, 'min.': 0.6, 'mil.': 0.7,
    'naut.': 0.6, 'textil.': 0.6, 'cook.': 0.7, 'relig.': 0.7, 'hist.': 0.7, 'astrol.': 0.4,
    'mus.': 0.7, 'sport': 0.6, 'geogr.': 0.7, 'agr.': 0.7, 'constr.': 0.8, 'aviat.': 0.85,
    'transp.': 0.9, 'jur.': 0.65, 'adm.': 0.9, 'tm': 0.5, 'art': 0.85, 'mach.': 0.9,
    'auto': 0.85, 'print': 0.6, 'phys.': 0.9, 'electr.': 0.8,
    // target domain
    'comp.': 1.6, 'math.': 1.2, 'statist.': 1.25, 'techn.': 1.0, 'sci.': 1.1, 'ling.': 1.0,
    'econ.': 1.0, 'fin.': 0.95, 'telco.': 1.0,
  }),
);
// [Br.] / [Am.] spellings are equally valid; no weight.

const FUNCTION_POS = new Set(['prp', 'conj', 'pron', 'ppron', 'art', 'interj', 'Partikel']);
const NOUN_TAGS = new Set(['f', 'm', 'n', 'pl', 'm,f', 'm,n', 'n,m', 'f,n']);
const VERB_TAGS = new Set(['vt', 'vi', 'vr', 'v']);

// ---------------------------------------------------------------------------
// Bracket-aware helpers

/** Split on `sep` at bracket depth 0. */
function splitTop(s, sep) {
  const out = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(' || c === '[' || c === '{' || c === '<') depth++;
    else if ((c === ')' || c === ']' || c === '}' || c === '>') && depth > 0) depth--;
    if (depth === 0 && s.startsWith(sep, i)) {
      out.push(cur);
      cur = '';
      i += sep.length - 1;
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

/** The contents of {...} and [...] annotations, split on ";" inside braces ({prp; +Dat.}). */
function tagsOf(s) {
  const tags = [];
  for (const m of s.matchAll(/\{([^{}]*)\}|\[([^[\]]*)\]/g)) {
    const inner = (m[1] ?? m[2] ?? '').trim();
    for (const t of m[1] !== undefined ? inner.split(';') : [inner]) if (t.trim()) tags.push(t.trim());
  }
  return tags;
}

/** Remove all annotations: (...), [...], {...}, <...>, /abbr/. */
function stripAnnotations(s) {
  let prev;
  let out = s;
  do {
    prev = out;
    out = out
      .replace(/\([^()]*\)/g, ' ')
      .replace(/\[[^[\]]*\]/g, ' ')
      .replace(/\{[^{}]*\}/g, ' ')
      .replace(/<[^<>]*>/g, ' ');
  } while (out !== prev);
  out = out.replace(/(^|\s)\/[^/]+\/(?=\s|$)/g, ' ');
  return out.replace(/[’‘]/g, "'").replace(/\s+/g, ' ').trim();
}

/** Product of the weights of the distinct tags found in `map`. */
function tagWeight(tags, map) {
  let w = 1;
  for (const t of new Set(tags)) {
    const x = map.get(t);
    if (x !== undefined) w *= x;
  }
  return w;
}

/**
 * A parenthesised sense restriction on the German side - "(Geld)",
 * "(Person)", "(Theater; Film)" - marks a narrower sense than a bare
 * headword. Grammatical notes ("(von etw.)", "(für)") don't count.
 */
const GRAMMAR_WORDS = new Set([
  'etw', 'jdn', 'jdm', 'jds', 'jd', 'sich', 'mit', 'an', 'auf', 'für', 'von', 'zu', 'über', 'gegen', 'um', 'in',
  'bei', 'aus', 'nach', 'vor', 'unter', 'als', 'zwischen', 'und', 'oder', 'gegenüber', 'es', 'dass', 'ein', 'eine',
  'einer', 'einem', 'einen', 'der', 'die', 'das', 'den', 'dem', 'des', 'gen', 'dat', 'akk', 'nom', 'sein', 'haben',
]);
function hasSenseRestriction(s) {
  for (const m of s.matchAll(/\(([^()]*)\)/g)) {
    const words = (m[1] ?? '').toLowerCase().match(/\p{L}+/gu) ?? [];
    if (words.some((w) => w.length >= 3 && !GRAMMAR_WORDS.has(w))) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Cleaning of German and English alternatives

const DE_DROP = new Set([
  'etw.', 'etw', 'jdn.', 'jdm.', 'jds.', 'jd.', 'jdn', 'jdm', 'sich',
  'ich', 'du', 'er', 'sie', 'es', 'wir', 'ihr', 'er/sie', 'ich/er/sie', 'wir/sie',
]);
const DE_ARTICLES = new Set(['ein', 'eine', 'einen', 'einem', 'einer', 'eines', 'der', 'die', 'das', 'den', 'dem', 'des']);
/** jdn./etw., jdm./einer Sache ...: object placeholders */
const DE_PLACEHOLDER = /^(?:(?:jd[nms]?|etw)\.?)(?:\/(?:jd[nms]?\.?|etw\.?|einer?|einem|eine))*\/?$/;
const DE_PREPOSITIONS = new Set(['mit', 'an', 'auf', 'für', 'von', 'zu', 'über', 'gegen', 'um', 'in', 'bei', 'aus', 'nach', 'vor', 'unter', 'als', 'zwischen', 'und', 'gegenüber']);
const DE_WORD = /^[\p{L}][\p{L}'-]*$/u;

/** The cleaned German alternative as an array of words, or null. */
function cleanGerman(alt) {
  const s = stripAnnotations(alt)
    .replace(/…|\.\.\./g, ' ')
    .replace(/\b(?:einer|eine|einem) (?:Sache|Person)\b/g, ' ')
    .trim();
  if (!s) return null;
  const words = s
    .split(' ')
    .filter((w) => w && !DE_DROP.has(w) && !DE_DROP.has(w.toLowerCase()) && !DE_PLACEHOLDER.test(w));
  // "am häufigsten" (superlative row)
  if (words.length === 2 && words[0] === 'am' && /sten$/.test(words[1])) words.shift();
  if (words.length === 0) return null;
  if (words.some((w) => w.includes('/') || !DE_WORD.test(w))) return null;
  return words;
}

const EN_DROP_TOKENS = new Set(['sth.', 'sb.', "sb.'s", "one's", 'oneself', "sth.'s", 'sb', 'sth']);
const EN_PLACEHOLDER = /^(?:sb|sth)\.?(?:\/(?:sb|sth)\.?)*(?:'s)?$/;
const EN_ARTICLES = new Set(['a', 'an', 'the']);
const EN_PRONOUNS = new Set(['i', 'he', 'she', 'it', 'we', 'they', 'you', 'he/she', 'i/he/she', 'we/they', 'he/she/it']);
/** Dangling words left behind by removed objects: "selection (of sth.)" -> "selection of". */
const EN_TRAILING = new Set(['of', 'a', 'an', 'the', 'your', 'his', 'her', 'their', 'my']);

/** The cleaned English alternative, or null if unusable. */
function cleanEnglish(alt) {
  let s = stripAnnotations(alt).replace(/…|\.\.\./g, ' ');
  // "compare sb./sth. with sb./sth.": the second object is an adjunct, drop it with its preposition
  // (a single one stays: "account for sth." -> "account for")
  if ((s.match(/\b(?:sb|sth)\./g) ?? []).length >= 2) {
    s = s.replace(/\b(?:with|to|and|from|for|on|in|into|about|against|as|at|by|of|between|over)\s+(?:sb|sth)\.(?:\/(?:sb|sth)\.)*(?:'s)?(?=\s|$)/g, ' ');
  }
  let words = s.split(' ').filter((w) => w && !EN_DROP_TOKENS.has(w.toLowerCase()) && !EN_PLACEHOLDER.test(w));
  while (words.length > 1 && EN_PRONOUNS.has(words[0].toLowerCase())) words = words.slice(1);
  if (words[0] === 'to' && words.length > 1) words = words.slice(1);
  if (words.length > 1 && EN_ARTICLES.has(words[0].toLowerCase())) words = words.slice(1);
  while (words.length > 1 && EN_TRAILING.has(words[words.length - 1].toLowerCase())) words = words.slice(0, -1);
  if (words.length === 0 || words.length > MAX_EN_WORDS) return null;
  s = words.join(' ').replace(/[,.;:!?]+$/, '');
  if (!s || s.length > MAX_EN_CHARS) return null;
  if (!/\p{L}/u.test(s)) return null;
  if (/[?!"“”„=]/.test(s)) return null;
  // lower-case except acronyms (all caps, >= 2 letters)
  return s
    .split(' ')
    .map((w) => (/^[A-Z0-9]{2,}s?$/.test(w) ? w : w.toLowerCase()))
    .join(' ');
}

/**
 * Nouns keep German capitalisation ("Kosten"), everything else is lower-cased
 * ("kosten"). A capitalised single word in Ding is a noun (or a name).
 */
function keyOf(word) {
  const lower = word.toLowerCase();
  if (/^\p{Lu}/u.test(word)) return lower.charAt(0).toUpperCase() + lower.slice(1);
  return lower;
}

// ---------------------------------------------------------------------------
// Pass 1: read lines, English token frequencies.

const text = readFileSync(SRC, 'utf8');
const lines = text.split('\n');
const header = lines.filter((l) => l.startsWith('#')).join('\n');
const versionMatch = /Version :: (.*)/.exec(header);
const sourceVersion = versionMatch ? versionMatch[1].trim() : 'unknown';

/** English token -> number of entries whose English side contains it (a commonness proxy). */
const enFreq = new Map();
/** Same, for plain words only (vocabulary). */
const enWords = new Map();
const parsed = [];
for (const line of lines) {
  if (!line || line.startsWith('#')) continue;
  const sides = line.split(' :: ');
  if (sides.length !== 2) continue;
  const [de, en] = sides;
  parsed.push([de, en]);
  const seen = new Set();
  const clean = stripAnnotations(en).toLowerCase();
  for (const tok of clean.split(/[^a-z'-]+/)) {
    const t = tok.replace(/^['-]+|['-]+$/g, '');
    if (t.length < 2 || seen.has(t)) continue;
    seen.add(t);
    enFreq.set(t, (enFreq.get(t) ?? 0) + 1);
  }
  const seenW = new Set();
  for (const t of clean.split(/[^a-z]+/)) {
    if (t.length < 3 || seenW.has(t)) continue;
    seenW.add(t);
    enWords.set(t, (enWords.get(t) ?? 0) + 1);
  }
}

/**
 * Commonness of an English candidate from the frequency of its rarest word in
 * the dictionary's English side. Saturates: it separates rare words
 * ("utilise", "rationalize") from ordinary ones, but does not let very
 * frequent words ("give", "find") outrank the right sense.
 */
const COMMON_SATURATION = Math.log(2 + 20);
function commonness(en) {
  const toks = en.toLowerCase().split(' ').filter(Boolean);
  let min = Infinity;
  for (const t of toks) min = Math.min(min, Math.log(2 + (enFreq.get(t) ?? 0)));
  return Math.min(1, min / COMMON_SATURATION) * Math.pow(0.7, toks.length - 1);
}

/** Normalise German and English spelling for cognate comparison: Qualität/quality, Kosten/cost, -isierung/-ization. */
function cognateForm(s, german) {
  let x = s.toLowerCase();
  if (german) {
    x = x.replace(/ä/g, 'a').replace(/ö/g, 'o').replace(/ü/g, 'u').replace(/ß/g, 'ss').replace(/k/g, 'c').replace(/z/g, 'c');
  } else {
    x = x.replace(/z/g, 's');
  }
  return x;
}

/** Shares a long common prefix with the German word (after normalisation)? */
function isCognate(de, en) {
  if (de.length < 4 || en.includes(' ')) return false;
  const a = cognateForm(de, true);
  const b = cognateForm(en, false);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i >= 4 && i >= 0.55 * Math.min(a.length, b.length);
}

// ---------------------------------------------------------------------------
// Pass 2: candidates.

/** key -> Map(english -> score) */
const cand = new Map();
/** keys seen as a headword (part 0), not only as an inflected form */
const headKeys = new Set();

function add(key, en, score) {
  let m = cand.get(key);
  if (!m) {
    m = new Map();
    cand.set(key, m);
  }
  const prev = m.get(en);
  // several entries agreeing count, but less than one strong entry: max + 0.4 * rest
  m.set(en, prev === undefined ? score : Math.max(prev, score) + 0.4 * Math.min(prev, score));
}

for (const [de, en] of parsed) {
  const deParts = splitTop(de, ' | ');
  const enParts = splitTop(en, ' | ');
  if (deParts.length !== enParts.length) continue; // misaligned: skip whole entry (rare)
  const lineTags = tagsOf(de);
  const headTags = tagsOf(deParts[0]);
  const lineW = tagWeight(lineTags, DOMAIN_WEIGHT);
  // bird names, fungi ...: not worth the bytes
  if (lineW < MIN_LINE_WEIGHT) continue;
  // entries with many inflection / example rows are the principal senses
  const richW = 1 + 0.06 * Math.min(deParts.length - 1, 10);
  const isFunction = headTags.some((t) => FUNCTION_POS.has(t));
  const isVerb = headTags.some((t) => VERB_TAGS.has(t));
  const isAdj = headTags.some((t) => t === 'adj' || t === 'adv');
  const headAlts = splitTop(deParts[0], ';');

  // function words: headword only, they are mostly dropped as stopwords anyway
  const nParts = isFunction ? 1 : deParts.length;
  for (let p = 0; p < nParts; p++) {
    const deAlts = p === 0 ? headAlts : splitTop(deParts[p], ';');
    const enAlts = splitTop(enParts[p], ';');
    const partTags = tagsOf(deParts[p]);
    const enClean = [];
    for (let ei = 0; ei < enAlts.length; ei++) {
      const e = cleanEnglish(enAlts[ei]);
      if (!e) continue;
      const qualified = /\([^()]*\)/.test(enAlts[ei]) ? 0.85 : 1;
      enClean.push([e, ei, tagWeight(tagsOf(enAlts[ei]), REGISTER_WEIGHT) * qualified]);
    }
    if (enClean.length === 0) continue;
    // Is this part an inflection row (plural / participle / comparative)?
    const inflection =
      p > 0 && (partTags.includes('pl') || ((isVerb || isAdj) && p <= 5 && deAlts.length <= headAlts.length));
    const partW = p === 0 ? 1 : inflection ? 0.9 : 0.55;
    // qualifier after the POS tag of the last alternative applies to the whole group:
    // "verwenden; bereitstellen; bewilligen {vt} (Geld) (für)"
    const lastAlt = deAlts[deAlts.length - 1] ?? '';
    const partQualifier = lastAlt.includes('{') ? lastAlt.slice(lastAlt.indexOf('{')) : '';
    const groupRegisterW = p === 0 ? tagWeight(tagsOf(partQualifier), REGISTER_WEIGHT) : 1;
    const groupRestricted = p === 0 && deAlts.some((a) => hasSenseRestriction(a));

    for (let gi = 0; gi < deAlts.length; gi++) {
      if (/\p{L}…/u.test(deAlts[gi])) continue; // combining forms ("Sprach…")
      let words = cleanGerman(deAlts[gi]);
      if (!words) continue;
      const altTags = tagsOf(deAlts[gi]);
      let objectW = 1;
      let enHere = enClean;
      // "ein Ereignis verhindern" -> verhindern; "jdn./etw. mit jdm./einer Sache vergleichen" -> vergleichen
      const verbForm = /^[a-zäöü]+(en|ern|eln)$/;
      if (isVerb && p === 0 && words.length === 3 && DE_ARTICLES.has(words[0]) && verbForm.test(words[2])) {
        words = [words[2]];
        objectW = 0.7;
        // "to prevent an event" -> "prevent"; an English verb without the object
        // ("eine Razzia durchführen": to raid) translates the whole phrase, not the verb
        enHere = enClean
          .filter(([e]) => /^\S+ (?:a|an|the|one's|your)\b/.test(e))
          .map(([e, ei, w]) => [e.replace(/^(\S+) (?:a|an|the|one's|your)\b.*$/, '$1'), ei, w]);
      } else if (isVerb && words.length >= 2 && verbForm.test(words[words.length - 1]) && words.slice(0, -1).every((w) => DE_PREPOSITIONS.has(w))) {
        words = [words[words.length - 1]];
      }
      let key;
      if (words.length === 1) {
        key = keyOf(words[0]);
      } else if (
        p === 0 &&
        !isVerb &&
        words.length <= 3 &&
        !/\b(etw|jd[nms]?)\.|\bsich\b/.test(deAlts[gi]) &&
        words.every((w) => /^[\p{L}]+$/u.test(w)) &&
        ((words.length === 2 && /^[a-zäöü]/.test(words[0]) && /^[A-ZÄÖÜ]/.test(words[1]) && altTags.some((t) => NOUN_TAGS.has(t))) ||
          headTags.includes('adv') ||
          (headTags.length === 0 && /^[a-zäöü]/.test(words[0]) && words.length >= 2))
      ) {
        // adjective + noun terms ("künstliche Intelligenz", "neuronales Netz") and adverbials ("von Grund auf")
        key = words.join(' ').toLowerCase();
      } else continue;
      if (key.length < 2 || key.length > 40) continue;
      // hyphenated compounds are translated part by part at run time
      if (key.includes('-')) continue;
      if (p === 0) headKeys.add(key);
      const altTagW = tagWeight(gi === deAlts.length - 1 && p === 0 ? tagsOf(deAlts[gi].split('{')[0] ?? '') : altTags, REGISTER_WEIGHT) * groupRegisterW;
      const restrictW =
        p !== 0 ? 1
        : hasSenseRestriction(deAlts[gi]) || hasSenseRestriction(partQualifier) ? 0.55
        : groupRestricted ? 0.75
        : 1;
      const gW = gi === 0 ? 1 : 0.55 / (1 + 0.15 * (gi - 1));
      // person-object senses ("jdn. ignorieren": to blank sb.) rank below thing-object ones
      const personW = /\bjd[nms]?\./.test(deAlts[gi]) && !/\betw\./.test(deAlts[gi]) ? 0.7 : 1;
      for (const [e, ei, eTagW] of enHere) {
        const eW = personW / (1 + 0.35 * ei);
        const cognateW = isCognate(key, e) ? COGNATE_BOOST : 1;
        const s = partW * richW * gW * eW * lineW * altTagW * eTagW * restrictW * objectW * cognateW * commonness(e);
        if (DEBUG_KEY === key) {
          console.error(
            `${key} -> ${e}: ${s.toFixed(3)} (p${p} g${gi} e${ei} line=${lineW} restrict=${restrictW} ` +
              `cognate=${cognateW} common=${commonness(e).toFixed(2)}) | ${de.slice(0, 80)}`,
          );
        }
        if (s > 0) add(key, e, s);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Rank, dedupe, trim.

/** Treat simple English inflection / spelling variants as one (cost/costs, -ise/-ize, colour/color). */
function variantKey(e) {
  return e
    .toLowerCase()
    .replace(/-/g, ' ')
    .replace(/is(e|ed|es|ing|ation|ations)\b/g, 'iz$1')
    .replace(/our\b/g, 'or')
    .replace(/ies\b/g, 'y')
    .replace(/(es|s)\b/g, '')
    .replace(/e\b/g, '');
}

/** Crude stem for grouping related candidates (reliable / reliably). */
function stem(e) {
  return e.includes(' ') ? e : e.slice(0, Math.max(5, Math.ceil(e.length * 0.7)));
}

function rank(key) {
  const m = cand.get(key);
  // merge spelling variants, represented by the -ize / American form when present
  const groups = new Map();
  for (const [e, s] of m) {
    const v = variantKey(e);
    const g = groups.get(v);
    if (!g) groups.set(v, { rep: e, score: s, best: s });
    else {
      g.score += s;
      const preferNew = (/iz/.test(e) && !/iz/.test(g.rep)) || (e.length < g.rep.length && /iz/.test(e) === /iz/.test(g.rep));
      if (preferNew) g.rep = e;
      g.best = Math.max(g.best, s);
    }
  }
  // related words (reliable / reliably) support each other a little
  const byStem = new Map();
  for (const g of groups.values()) {
    const st = stem(g.rep);
    byStem.set(st, (byStem.get(st) ?? 0) + g.score);
  }
  const scored = [...groups.values()].map((g) => [g.rep, g.score + 0.4 * ((byStem.get(stem(g.rep)) ?? 0) - g.score)]);
  scored.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  if (DEBUG_KEY === key) console.error(scored.slice(0, 8).map(([e, s]) => `${e}=${s.toFixed(2)}`).join(' '));
  const best = scored[0][1];
  const limit = headKeys.has(key) ? MAX_TRANSLATIONS : MAX_TRANSLATIONS_INFLECTED;
  const out = [];
  for (const [e, s] of scored) {
    if (s < best * MIN_RELATIVE_SCORE || out.length >= limit) break;
    // beyond the first two, only single words (keeps the file small)
    if (out.length >= 2 && e.includes(' ')) continue;
    out.push(e);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Inflected forms that the run-time de-inflection (src/lang/de-en.ts,
// `deinflections`; keep the two in sync) maps to a headword with the same
// meaning are left out: it saves space, and a form that only occurs in some
// rare sub-entry (the run-time lookup would hit it first) no longer shadows
// the headword's general sense.

const ENDINGS = ['sten', 'ster', 'stes', 'stem', 'ste', 'est', 'ern', 'en', 'er', 'es', 'em', 'st', 'et', 'e', 'n', 's', 't'];

function deinflections(w) {
  const out = [];
  const push = (s) => {
    if (s.length >= 2 && s !== w && !out.includes(s)) out.push(s);
  };
  // superlatives: "schlimmste" -> "schlimmsten" (Ding lists "am schlimmsten")
  if (/st(e|es|er|em)$/.test(w)) push(w.replace(/st(e|es|er|em)$/, 'sten'));
  // present participles: "skalierendes" -> "skalieren"
  if (/[^aeiouäöü]end(e|es|er|em|en)?$/.test(w)) push(w.replace(/end(e|es|er|em|en)?$/, 'en'));
  const stems = [];
  for (const e of ENDINGS) if (w.length - e.length >= 3 && w.endsWith(e)) stems.push(w.slice(0, -e.length));
  for (const s of stems) {
    push(s);
    push(s + 'en');
    push(s + 'e');
    push(s + 'n');
  }
  if (/i[^aeiouäöü]+$/.test(w)) push(w.replace(/i([^aeiouäöü]+)$/, 'e$1') + 'en');
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

function sameCase(key, form) {
  return /^\p{Lu}/u.test(key) ? form.charAt(0).toUpperCase() + form.slice(1) : form;
}

// English vocabulary (used by the translator to recognise English words kept
// as-is inside German text and to verify cognate guesses like
// "Tokenisierung" -> "tokenization").
// A rare "English" word that is also a German headword ("produkt") is noise
// from names and quotations on the English side.
const germanWords = new Set([...cand.keys()].map((k) => k.toLowerCase()));
const english = [...enWords.entries()]
  .filter(([w, f]) => /^[a-z]{3,}$/.test(w) && (f >= 2 || w.length >= 7) && !(f < 4 && germanWords.has(w)))
  .map(([w]) => w)
  .sort();
const englishSet = new Set(english);

const get = (k) => {
  const v = live.get(k);
  return v && v.length > 0 ? v : undefined;
};
const capitalize = (w) => w.charAt(0).toUpperCase() + w.slice(1);
const firstHit = (items, f) => {
  for (const it of items) {
    const r = f(it);
    if (r !== undefined) return r;
  }
  return undefined;
};

// --- mirror of the run-time compound splitter and cognate rules (src/lang/de-en.ts) ---

const COGNATE_RULES = [
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

function cognate(w) {
  if (w.length < 5) return undefined;
  for (const [re, repls] of COGNATE_RULES) {
    if (!re.test(w)) continue;
    const st = w.replace(re, '');
    const plain = st.replace(/ä/g, 'a').replace(/ö/g, 'o').replace(/ü/g, 'u');
    const latin = plain.replace(/k/g, 'c').replace(/z/g, 'c');
    for (const repl of repls) {
      for (const x of [latin, plain]) if (englishSet.has(x + repl)) return x + repl;
    }
  }
  return undefined;
}

const LINKS = ['', 's', 'es', 'n', 'en', 'e', 'er'];
const MIN_PART = 3;

function lookupPart(part, last, lastPref) {
  const cap = capitalize(part);
  const cog = () => {
    const c = cognate(part);
    return c === undefined ? undefined : [c];
  };
  if (last) {
    if (lastPref === 'other') return get(part) ?? firstHit(deinflections(part), (f) => get(f));
    return get(cap) ?? get(part) ?? firstHit(deinflections(part), (f) => get(capitalize(f)) ?? get(f)) ?? cog();
  }
  return get(cap) ?? firstHit(['e', 'en', 'n'], (x) => get(cap + x)) ?? get(part) ?? firstHit(['e', 'en', 'n'], (x) => get(part + x)) ?? cog();
}

function splitCompound(w, lastPref) {
  if (w.length < 2 * MIN_PART) return undefined;
  const memo = new Map();
  const solve = (start) => {
    const cached = memo.get(start);
    if (cached !== undefined) return cached;
    let best = null;
    for (let end = w.length; end >= start + MIN_PART; end--) {
      const part = w.slice(start, end);
      const last = end === w.length;
      const en = lookupPart(part, last, lastPref);
      if (!en) continue;
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

// --- end of mirror ---

/** Live dictionary while pruning: key -> translations. */
const live = new Map();
const keys = [...cand.keys()].sort();
for (const k of keys) live.set(k, rank(k));

let prunedInflected = 0;
for (const key of keys) {
  if (headKeys.has(key) || key.includes(' ')) continue;
  const out = live.get(key);
  const base = deinflections(key.toLowerCase())
    .map((f) => sameCase(key, f))
    .find((f) => live.has(f));
  if (base !== undefined && headKeys.has(base)) {
    const baseTop = live.get(base).slice(0, 2).map((e) => stem(variantKey(e)));
    const first = out[0];
    if (first === undefined || !baseTop.includes(stem(variantKey(first)))) {
      live.delete(key);
      prunedInflected++;
    }
  }
}

// Transparent compounds - those the run-time compound splitter translates
// just as well ("Inferenzprozessor" -> "inference processor") - are left out
// too. Shorter keys are decided first, so a longer compound is judged
// against the dictionary the run time will actually have.
// Compound-part induction: many words exist in Ding only as the first part of
// compounds ("Echtzeit" in Echtzeitrechner / Echtzeituhr / Echtzeitsystem ->
// "real-time"; "Inferenz" in Inferenznetz / Inferenzprozessor -> "inference").
// When a compound's translation is "A B" and its head is a known word
// translated B, its modifier is evidence for "modifier -> A".
const induced = new Map(); // modifier (capitalised) -> Map(A -> count)
for (const key of keys) {
  if (!/^\p{Lu}\p{Ll}+$/u.test(key) || key.length < 8) continue;
  const top = live.get(key)?.[0];
  if (!top) continue;
  const words = top.split(' ');
  if (words.length < 2 || words.length > 3) continue;
  const b = variantKey(words[words.length - 1]);
  const a = words.slice(0, -1).join(' ');
  const lower = key.toLowerCase();
  for (let i = 4; i <= lower.length - 3; i++) {
    const head = capitalize(lower.slice(i));
    const headTop = live.get(head)?.slice(0, 2) ?? [];
    if (!headTop.some((e) => variantKey(e) === b)) continue;
    let mod = lower.slice(0, i);
    for (const link of ['es', 's']) {
      // Schwierigkeit|s|grad: drop a linking s when the rest is a known word
      if (mod.endsWith(link) && (live.has(capitalize(mod.slice(0, -link.length))) || /(?:ung|heit|keit|schaft|tät|ion)$/.test(mod.slice(0, -link.length)))) {
        mod = mod.slice(0, -link.length);
        break;
      }
    }
    if (mod.length < 4) continue;
    const m = induced.get(capitalize(mod)) ?? new Map();
    m.set(a, (m.get(a) ?? 0) + 1);
    induced.set(capitalize(mod), m);
    break;
  }
}
let inducedNew = 0;
let inducedReordered = 0;
for (const [mod, m] of [...induced.entries()].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
  const ranked = [...m.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
  const [a, n] = ranked[0];
  const total = ranked.reduce((sum, [, c]) => sum + c, 0);
  if (n < 2 || n < 0.6 * total) continue;
  const existing = live.get(mod) ?? live.get(mod.toLowerCase());
  if (!existing) {
    live.set(mod, [a]);
    inducedNew++;
  } else if (existing[0] && existing[0] !== a && existing[0].split(' ').includes(a) && n >= 3) {
    // "Inferenz": ["automated inference"] -> ["inference", "automated inference"]
    existing.unshift(a);
    existing.length = Math.min(existing.length, MAX_TRANSLATIONS);
    inducedReordered++;
  }
}

let prunedCompounds = 0;
const byLength = keys.filter((k) => live.has(k) && /^\p{L}\p{Ll}+$/u.test(k) && k.length >= 8);
byLength.sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
for (const key of byLength) {
  const lower = key.toLowerCase();
  const noun = key !== lower;
  if (englishSet.has(lower)) continue; // kept as an English word at run time
  if (noun ? live.has(lower) : live.has(capitalize(lower))) continue; // another reading would win
  const mine = live.get(key);
  live.delete(key);
  // what the run time would do without this key (see translateWord)
  const forms = deinflections(lower);
  const viaForms = noun
    ? (firstHit(forms, (f) => get(capitalize(f))) ?? firstHit(forms, (f) => get(f)))
    : (firstHit(forms, (f) => get(f)) ?? firstHit(forms, (f) => get(capitalize(f))));
  let guess;
  if (viaForms) guess = viaForms[0];
  else {
    const c = cognate(lower);
    if (c !== undefined) guess = c;
    else {
      const parts = splitCompound(lower, noun ? 'noun' : 'other');
      // only compounds of parts with 5+ letters: the run time also splits those inside
      // English / technical hyphenated terms, where short parts are more likely a name ("Autograd")
      if (parts && parts.every((p) => p.part.length >= 5)) guess = parts.map((p) => p.en[0] ?? p.part).join(' ');
    }
  }
  if (guess !== undefined && covers(guess, mine[0])) {
    prunedCompounds++;
    continue;
  }
  live.set(key, mine);
}

/** Does `guess` contain every word of `target` (modulo simple inflection)? */
function covers(guess, target) {
  if (target === undefined) return true;
  const g = new Set(guess.split(/[\s-]+/).map((w) => variantKey(w)));
  return target.split(/[\s-]+/).every((w) => g.has(variantKey(w)));
}


const entries = {};
let nTrans = 0;
for (const key of [...live.keys()].sort()) {
  const out = live.get(key);
  if (!out) continue;
  entries[key] = out;
  nTrans += out.length;
}

const json = JSON.stringify({
  version: 1,
  source: `Ding German-English dictionary (Frank Richter, TU Chemnitz), Debian package trans-de-en, version ${sourceVersion}`,
  license: 'GPL-2.0-or-later',
  entries,
  english: english.join(' '),
});
const gz = gzipSync(Buffer.from(json, 'utf8'), { level: 9 });
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, gz);
console.log(
  `wrote ${OUT}: ${Object.keys(entries).length} German keys (${inducedNew} compound modifiers induced, ` +
    `${inducedReordered} reordered; left to run-time de-inflection: ${prunedInflected} ` +
    `inflected forms; to compound splitting: ${prunedCompounds} compounds), ${nTrans} translations, ` +
    `${english.length} English words, ` +
    `${(json.length / 1e6).toFixed(1)} MB JSON, ${(gz.length / 1e6).toFixed(2)} MB gzip`,
);
