import { words } from './analyzer.js';

// Frequent function words that are unambiguous between the two languages.
const GERMAN = new Set(
  'der die das und ist sind wie was warum welche welcher welches wann wo wer zwischen bei mit für nicht ein eine einen einem einer den dem des auf aus zu zum zur von im ins sich du ich wir ihr sie es man kann können würdest wird werden wurde oder aber auch noch nur sehr mehr über unter nach vor durch ohne gegen um beim vom am bitte erkläre erklären unterschied unterschiede funktioniert'.split(' '),
);
const ENGLISH = new Set(
  'the and is are how what why which when where who between with for not a an of on in to from by you we it can could would will does do did or but also only very more about under after before through without against explain difference work works'.split(' '),
);

/**
 * Tells German from English by function words, umlauts and ß. Technical terms are shared by
 * both languages and are ignored; a text with no evidence either way is English.
 *
 * @example
 * detectLanguage('Wie funktioniert GQA?') // 'de'
 * detectLanguage('GQA vs MQA')            // 'en'
 */
export function detectLanguage(text: string): 'en' | 'de' {
  let de = 0;
  let en = 0;
  for (const w of words(text)) {
    if (GERMAN.has(w)) de += 1;
    if (ENGLISH.has(w)) en += 1;
    if (/[äöüß]/.test(w)) de += 0.5;
  }
  return de > en ? 'de' : 'en';
}
