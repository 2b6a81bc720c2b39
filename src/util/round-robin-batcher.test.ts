import { describe, expect, it } from 'vitest';
import { RoundRobinBatcher } from './round-robin-batcher.js';

describe('RoundRobinBatcher', () => {
  it('runs one batch at a time, taking items in turn from every waiting caller', async () => {
    const batches: string[][] = [];
    let running = 0;
    let most = 0;
    const b = new RoundRobinBatcher(async (items: string[]) => {
      running += 1;
      most = Math.max(most, running);
      batches.push(items);
      await new Promise((r) => setTimeout(r, 5));
      running -= 1;
      return items.map((s) => s.toUpperCase());
    }, 3);
    const first = b.submit(['a1']);
    const big = b.submit(['b1', 'b2', 'b3', 'b4', 'b5']);
    const small = b.submit(['c1']);
    const late = new Promise<string[]>((r) => setTimeout(() => r(b.submit(['d1'])), 1));
    expect(await Promise.all([first, big, small, late])).toEqual([['A1'], ['B1', 'B2', 'B3', 'B4', 'B5'], ['C1'], ['D1']]);
    // The first batch starts at once with the first caller's item; then the waiting callers share the rest.
    expect(batches).toEqual([['a1'], ['b1', 'c1', 'd1'], ['b2', 'b3', 'b4'], ['b5']]);
    expect(most).toBe(1);
  });

  it('fails the callers of a failed batch, and goes on with the others', async () => {
    const b = new RoundRobinBatcher(async (items: number[]) => {
      if (items.includes(13)) throw new Error('unlucky');
      return items.map((n) => n * 2);
    }, 2);
    const blocker = b.submit([1]);
    const [bad, good] = [b.submit([13, 14]), b.submit([5])];
    const late = b.submit([7]);
    await expect(bad).rejects.toThrow('unlucky');
    expect(await blocker).toEqual([2]);
    // 13 and 5 shared the failed batch: both callers fail; the next caller is unaffected.
    await expect(good).rejects.toThrow('unlucky');
    expect(await late).toEqual([14]);
    expect(await b.submit([])).toEqual([]);
  });

  it('stops a batch before its padded cost (count x largest size) passes maxCost, taking at least one item', async () => {
    const batches: string[][] = [];
    const b = new RoundRobinBatcher(async (items: string[]) => {
      batches.push(items);
      return items.map((s) => s.length);
    }, 8, { size: (s) => s.length, maxCost: 12 });
    const words = ['aa', 'bb', 'cccccc', 'dd', 'eeeeeeeeeeeeeeee', 'f', 'g'];
    expect(await b.submit(words)).toEqual(words.map((w) => w.length));
    // aa+bb: 2x2 = 4; + cccccc: 3x6 = 18 > 12, so a new batch: cccccc+dd: 2x6 = 12; + e…: too wide; e… alone (16 > 12, but one item always goes); f+g.
    expect(batches).toEqual([['aa', 'bb'], ['cccccc', 'dd'], ['eeeeeeeeeeeeeeee'], ['f', 'g']]);
    expect(() => new RoundRobinBatcher(async (x: string[]) => x, 4, { size: () => 1, maxCost: 0 })).toThrow(RangeError);
  });
});
