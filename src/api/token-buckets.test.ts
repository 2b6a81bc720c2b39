import { describe, expect, it } from 'vitest';
import { TokenBuckets } from './token-buckets.js';

describe('TokenBuckets', () => {
  it('lets a burst through, then refuses with the seconds until the next token', () => {
    let now = 0;
    const b = new TokenBuckets({ perMinute: 60, burst: 3 }, () => now);
    expect([b.take('a'), b.take('a'), b.take('a')].every((r) => r.ok)).toBe(true);
    expect(b.take('a')).toEqual({ ok: false, retryAfterSeconds: 1 });
    now += 1000;
    expect(b.take('a').ok).toBe(true);
    expect(b.take('a').ok).toBe(false);
  });

  it('keeps one bucket per client', () => {
    const b = new TokenBuckets({ perMinute: 1, burst: 1 }, () => 0);
    expect(b.take('a').ok).toBe(true);
    expect(b.take('b').ok).toBe(true);
    expect(b.take('a')).toEqual({ ok: false, retryAfterSeconds: 60 });
  });

  it('refills no further than the burst', () => {
    let now = 0;
    const b = new TokenBuckets({ perMinute: 600, burst: 2 }, () => now);
    now += 3_600_000;
    expect([b.take('a').ok, b.take('a').ok, b.take('a').ok]).toEqual([true, true, false]);
  });

  it('forgets the least recently seen clients past its capacity', () => {
    const b = new TokenBuckets({ perMinute: 1, burst: 1 }, () => 0, 2);
    b.take('a');
    b.take('b');
    b.take('a');
    b.take('c');
    expect(b.size).toBe(2);
    // "a" was kept and is spent; "b" was forgotten, so it starts again with a full bucket.
    expect(b.take('a').ok).toBe(false);
    expect(b.take('b').ok).toBe(true);
  });

  it('is off when perMinute is 0', () => {
    const b = new TokenBuckets({ perMinute: 0, burst: 1 }, () => 0);
    for (let i = 0; i < 100; i++) expect(b.take('a').ok).toBe(true);
    expect(b.size).toBe(0);
  });
});
