import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunksFromJson, pageName } from './json-records.js';

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

  it('embeds and keeps a record\'s section path, given or named by its URL, without citing it', () => {
    const source = JSON.stringify([
      { id: 'a', text: 'columns_.push_back(c);', section: ['class ColumnTuple', 'void Append(ColumnRef c)'] },
      { id: 'b', title: 'FAQ', text: 'Up to 20 images.', url: 'https://docs.example.com/en/docs/build-with-claude/vision#faq' },
      { id: 'c', title: 'FAQ', text: 'No.', url: 'https://docs.example.com/en/docs/vision#faq', section: 'Vision guide' },
    ]);
    const [a, b, c] = chunksFromJson('r.json', source, { ...fields, section: 'section' }, en);
    expect(a).toMatchObject({ section: ['class ColumnTuple', 'void Append(ColumnRef c)'], text: 'columns_.push_back(c);', embedText: 'class ColumnTuple › void Append(ColumnRef c)\ncolumns_.push_back(c);' });
    expect(a?.title).toBeUndefined();
    expect(b).toMatchObject({ section: ['vision'], title: 'FAQ', text: 'Up to 20 images.', embedText: 'vision\nFAQ\nUp to 20 images.' });
    expect(c?.section).toEqual(['Vision guide']);
    // Without a section key in the field map, only the URL names a section.
    expect(chunksFromJson('r.json', source, fields, en).map((x) => x.section)).toEqual([[], ['vision'], ['vision']]);
  });
});

describe('pageName', () => {
  it.each([
    ['https://docs.example.com/en/docs/build-with-claude/prompt-caching#pricing', 'prompt caching'],
    ['https://example.com/blog/my_first-post.html', 'my first post'],
    ['https://example.com/en/api/#auth', 'api'],
    ['https://example.com/items/123456', undefined],
    ['https://example.com/doc/5e4c01057a10732d34784af2', undefined],
    ['https://example.com/', undefined],
    ['https://example.com/docs/index.html', undefined],
    ['not a url', undefined],
  ])('%s → %s', (url, name) => {
    expect(pageName(url)).toBe(name);
  });
});
