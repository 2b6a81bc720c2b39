import { analyze } from '../lang/analyzer.js';

const PATTERNS = [
  /\b(?:difference|differences|differ|distinguish)\s+between\s+(.+?)\s+and\s+(.+?)(?:[?.!]|$)/i,
  /\bcompare\s+(.+?)\s+(?:and|with|to|vs\.?|versus)\s+(.+?)(?:[?.!]|$)/i,
  /^(?:explain\s+|what\s+is\s+)?(.+?)\s+(?:vs\.?|versus|or|compared\s+(?:to|with))\s+(.+?)(?:[?.!]|$)/i,
  /\b(?:unterschied|unterschiede)\s+zwischen\s+(.+?)\s+und\s+(.+?)(?:[?.!]|$)/i,
];

/**
 * The two sides of a comparison question ("GQA vs MQA", "difference between LoRA and QLoRA"),
 * as analysed terms; `undefined` when the question compares nothing.
 *
 * @example
 * comparisonSides('explain GQA vs MQA') // [['gqa'], ['mqa']]
 */
export function comparisonSides(question: string): string[][] | undefined {
  for (const re of PATTERNS) {
    const m = re.exec(question.trim());
    if (!m?.[1] || !m[2]) continue;
    const left = analyze(m[1].split(/,\s*/).at(-1) ?? m[1], 'en');
    const right = analyze(m[2], 'en');
    if (left.length > 0 && right.length > 0 && left.length <= 6 && right.length <= 6) return [left, right];
  }
  return undefined;
}
