/** A citation marker in an answer: `[2]`, `[1][3]` is two of them, `[1, 3]` one with two numbers. */
export interface MarkerGroup {
  /** Offsets of the marker in the answer text. */
  start: number;
  end: number;
  /** Source numbers, in the order written. */
  ns: number[];
}

/** A sentence of an answer, with the markers that cite it. */
export interface Claim {
  /** The sentence without its markers and markdown marks, for verification. */
  text: string;
  markers: MarkerGroup[];
}

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/** `[1]`, `[1, 2]`, `[Source 3]`; numbers of one to three digits. */
const MARKER = /\[(?:sources?\s*)?(\d{1,3}(?:\s*,\s*\d{1,3})*)\]/gi;

/**
 * Splits an answer into sentences and finds each one's citation markers. A marker written
 * after the full stop ("… saturation. [1] Next …") belongs to the sentence before it.
 *
 * @example
 * parseClaims('GQA shares KV heads [1]. MQA uses one. [2]')
 * // [{ text: 'GQA shares KV heads.', markers: [{ start: 20, end: 23, ns: [1] }] },
 * //  { text: 'MQA uses one.', markers: [{ start: 39, end: 42, ns: [2] }] }]
 */
export function parseClaims(answer: string): Claim[] {
  const markers: MarkerGroup[] = [...answer.matchAll(MARKER)].map((m) => ({
    start: m.index,
    end: m.index + m[0].length,
    ns: (m[1] ?? '').split(',').map((n) => Number(n.trim())),
  }));
  const claims: { start: number; end: number; markers: MarkerGroup[] }[] = [];
  for (const seg of segmenter.segment(answer)) {
    let start = seg.index;
    const end = seg.index + seg.segment.length;
    // Leading markers (and the white space between them) belong to the previous sentence.
    const previous = claims.at(-1);
    if (previous) {
      for (;;) {
        const lead = answer.slice(start, end).match(/^\s+/)?.[0].length ?? 0;
        const m = markers.find((g) => g.start === start + lead);
        if (!m || m.end > end) break;
        previous.markers.push(m);
        previous.end = m.end;
        start = m.end;
      }
    }
    // A marker followed by a new capitalised sentence ends a claim even without a full stop.
    for (const g of markers) {
      if (g.start < start || g.end > end || !/^[ \t]+\p{Lu}/u.test(answer.slice(g.end, end))) continue;
      if (answer.slice(start, g.start).trim() !== '') claims.push({ start, end: g.end, markers: markers.filter((m) => m.start >= start && m.end <= g.end) });
      start = g.end;
    }
    if (answer.slice(start, end).trim() === '') continue;
    claims.push({ start, end, markers: markers.filter((g) => g.start >= start && g.end <= end) });
  }
  return claims.map((c) => ({ text: claimText(answer, c.start, c.end, c.markers), markers: c.markers }));
}

function claimText(answer: string, start: number, end: number, markers: readonly MarkerGroup[]): string {
  let text = '';
  let at = start;
  for (const m of markers.filter((g) => g.start >= start && g.end <= end).sort((a, b) => a.start - b.start)) {
    text += answer.slice(at, m.start);
    at = m.end;
  }
  text += answer.slice(at, end);
  return text
    .replace(/^\s*(?:[-*+•]|\d+[.)]|#{1,6})\s+/, '')
    .replace(/\*\*|__|`/g, '')
    .replace(/\s+([.,;:!?])/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}
