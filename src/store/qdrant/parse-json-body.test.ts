import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonBody } from './parse-json-body.js';

describe('parseJsonBody', () => {
  it('parses any JSON value exactly as JSON.parse of its UTF-8 does', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ stringUnit: 'grapheme' }), fc.jsonValue({ stringUnit: 'binary' })), (value) => {
        const body = Buffer.from(JSON.stringify(value), 'utf8');
        expect(parseJsonBody(body)).toStrictEqual(JSON.parse(body.toString('utf8')));
      }),
      { numRuns: 500 },
    );
  });

  it('reads raw non-ASCII characters in strings and keys, and \\u escapes, like JSON.parse', () => {
    const raw = '{"naïve":["Schlüssel — 🚀","ascii",{"x":"日本"}],"n":1.5}';
    expect(parseJsonBody(Buffer.from(raw))).toStrictEqual({ naïve: ['Schlüssel — 🚀', 'ascii', { x: '日本' }], n: 1.5 });
    const escaped = '{"a":"caf\\u00e9 ü","b":"\\u0001"}';
    expect(parseJsonBody(Buffer.from(escaped))).toStrictEqual(JSON.parse(escaped));
    expect(() => parseJsonBody(Buffer.from('{"a":'))).toThrow(SyntaxError);
  });
});
