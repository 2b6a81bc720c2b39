import { describe, expect, it } from 'vitest';
import { ResponseCache } from './response-cache.js';

describe('ResponseCache', () => {
  it('keeps the most recently used entries', () => {
    const c = new ResponseCache<number>(2);
    c.set('a', 1);
    c.set('b', 2);
    expect(c.get('a')).toBe(1);
    c.set('c', 3);
    expect(c.get('b')).toBeUndefined();
    expect([c.get('a'), c.get('c'), c.size]).toEqual([1, 3, 2]);
  });

  it('keeps nothing when its size is 0', () => {
    const c = new ResponseCache<number>(0);
    expect(c.set('a', 1)).toBe(1);
    expect(c.get('a')).toBeUndefined();
  });
});
