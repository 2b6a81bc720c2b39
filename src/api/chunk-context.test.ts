import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkContext } from './chunk-context.js';

describe('chunkContext', () => {
  it('puts the passage between whole words of its surroundings', () => {
    const text = 'alpha beta gamma delta epsilon PASSAGE HERE zeta eta theta iota kappa';
    const c = chunkContext(text, { start: 31, end: 43 }, 12);
    expect(c.passage).toBe('PASSAGE HERE');
    expect(c.before).toBe('epsilon ');
    expect(c.after).toBe(' zeta eta');
  });

  it('maps back to the exact file text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.nat(), fc.nat(), fc.nat({ max: 100 }), (text, a, b, chars) => {
        const start = text.length ? a % (text.length + 1) : 0;
        const end = start + (text.length - start ? b % (text.length - start + 1) : 0);
        const c = chunkContext(text, { start, end }, chars);
        expect(c.before + c.passage + c.after).toBe(text.slice(c.start, c.end));
        expect(c.passage).toBe(text.slice(start, end));
        expect(c.start).toBeLessThanOrEqual(start);
        expect(c.end).toBeGreaterThanOrEqual(end);
      }),
    );
  });
});
