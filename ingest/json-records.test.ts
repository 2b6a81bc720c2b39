import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunksFromJson } from './json-records.js';

const fields = { id: 'id', title: 'title', text: 'text', url: 'url' };
const en = () => 'en';

describe('chunksFromJson', () => {
  it('splits a long record at paragraph boundaries; every part keeps title, id and exact span', () => {
    const text = Array.from({ length: 6 }, (_, i) => `Paragraph ${i} says "quoted" things \\ about tabs\tand newlines é ✓ 🎉. `.repeat(4)).join('\n\n');
    const source = JSON.stringify([{ id: 'r1', title: 'Long', url: 'https://x/r1', text }, { id: 'r2', text: 'short one' }], null, 1);
    const chunks = chunksFromJson('docs.json', source, fields, en, 600);
    const parts = chunks.filter((c) => c.id.startsWith('docs.json#r1'));
    expect(parts.length).toBeGreaterThan(1);
    parts.forEach((c, i) => {
      expect(c).toMatchObject({ title: 'Long', part: { index: i, count: parts.length }, footnotes: [{ id: 'r1', url: 'https://x/r1' }] });
      expect(c.text.length).toBeLessThanOrEqual(600);
      expect((JSON.parse(`"${source.slice(c.start, c.end)}"`) as string).trim()).toBe(c.text);
    });
    expect(parts.map((c) => c.text).join(' ').replace(/\s+/g, ' ')).toBe(text.trim().replace(/\s+/g, ' '));
    expect(chunks.find((c) => c.id === 'docs.json#r2')?.part).toBeUndefined();
  });

  it('maps any split back to the exact JSON source (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }), { minLength: 5, maxLength: 40 }), (paras) => {
        const text = paras.join('\n\n');
        fc.pre(text.trim().length > 0);
        const source = JSON.stringify([{ id: 'a', text }]);
        for (const c of chunksFromJson('f.json', source, fields, en, 300)) {
          expect((JSON.parse(`"${source.slice(c.start, c.end)}"`) as string).trim()).toBe(c.text);
        }
      }),
      { numRuns: 100 },
    );
  });
});
