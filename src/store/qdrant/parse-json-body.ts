import { isAscii } from 'node:buffer';

/** Any character a latin1 decoding makes of a byte ≥ 0x80. */
const HIGH = /[\u0080-\u00ff]/;

/**
 * `JSON.parse` of an HTTP body, decoded so that no large two-byte string is made.
 *
 * A search answer of ~116 kB (30 chunks with their vectors) that holds a single non-ASCII
 * character becomes, decoded as UTF-8, a string of two bytes per character: 232 kB, above V8's
 * large-object threshold (128 kB), and such an allocation measured 2.2 ms on Node 20 where the
 * same bytes decoded as latin1 (one byte per character, 116 kB) took 16 µs. So the body is
 * decoded as latin1 — JSON's own syntax is ASCII, and UTF-8 encodes other characters in bytes
 * ≥ 0x80 only, so the structure parses the same — and then only the strings holding such bytes are
 * decoded again as UTF-8 (a few hundred bytes each).
 *
 * That is exact unless the JSON spells a character from U+0080 to U+00FF as a `\u00XX` escape
 * (a latin1-decoded string could not tell it from a raw byte): Qdrant's serializer writes those
 * characters raw, and a body holding `\u00` (any such escape) is decoded as UTF-8 instead.
 *
 * @example
 * parseJsonBody(Buffer.from('{"text":"naïve"}')); // { text: 'naïve' }
 */
export function parseJsonBody(body: Buffer): unknown {
  if (isAscii(body)) return JSON.parse(body.toString('latin1'));
  if (body.includes('\\u00')) return JSON.parse(body.toString('utf8'));
  return repair(JSON.parse(body.toString('latin1')));
}

/** Decodes again, as UTF-8, every string (and key) of a latin1-decoded JSON value that holds bytes ≥ 0x80. */
function repair(value: unknown): unknown {
  if (typeof value === 'string') return HIGH.test(value) ? Buffer.from(value, 'latin1').toString('utf8') : value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = repair(value[i]);
    return value;
  }
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      const v = repair(o[key]);
      if (HIGH.test(key)) {
        delete o[key];
        o[Buffer.from(key, 'latin1').toString('utf8')] = v;
      } else o[key] = v;
    }
  }
  return value;
}
