import { describe, expect, it } from 'vitest';
import { PassBatcher } from './pass-batcher.js';

describe('PassBatcher', () => {
  it('runs one batch at a time: single items first, then the other callers in arrival order', async () => {
    const batches: string[][] = [];
    let running = 0;
    let most = 0;
    let late: Promise<string[]> | undefined;
    const b = new PassBatcher(async (items: string[]) => {
      running += 1;
      most = Math.max(most, running);
      batches.push(items);
      // A caller arrives as the first batch starts (before b and c, which come after a1's submit returns).
      if (batches.length === 1) late = b.submit(['d1']);
      await new Promise((r) => setTimeout(r, 5));
      running -= 1;
      return items.map((s) => s.toUpperCase());
    }, 3);
    const first = b.submit(['a1']);
    const big = b.submit(['b1', 'b2', 'b3', 'b4', 'b5']);
    const small = b.submit(['c1']);
    expect(await Promise.all([first, big, small])).toEqual([['A1'], ['B1', 'B2', 'B3', 'B4', 'B5'], ['C1']]);
    expect(await late).toEqual(['D1']);
    // The first batch starts at once with the first caller's item; then the single items that waited, and b fills the rest.
    expect(batches).toEqual([['a1'], ['d1', 'c1', 'b1'], ['b2', 'b3', 'b4'], ['b5']]);
    expect(most).toBe(1);
  });

  it('fails the callers of a failed batch, and goes on with the others', async () => {
    const b = new PassBatcher(async (items: number[]) => {
      if (items.includes(13)) throw new Error('unlucky');
      return items.map((n) => n * 2);
    }, 2);
    const blocker = b.submit([1]);
    const [bad, good] = [b.submit([13, 14]), b.submit([5])];
    await expect(bad).rejects.toThrow('unlucky');
    expect(await blocker).toEqual([2]);
    // 5 and 13 shared the failed batch: both callers fail, bad's 14 is never run; the next caller is unaffected.
    await expect(good).rejects.toThrow('unlucky');
    expect(await b.submit([7, 8])).toEqual([14, 16]);
    expect(await b.submit([])).toEqual([]);
  });

  it('stops a batch before its padded cost (count x largest size) passes maxCost, taking at least one item', async () => {
    const batches: string[][] = [];
    const b = new PassBatcher(async (items: string[]) => {
      batches.push(items);
      return items.map((s) => s.length);
    }, 8, { size: (s) => s.length, maxCost: 12 });
    const words = ['aa', 'bb', 'cccccc', 'dd', 'eeeeeeeeeeeeeeee', 'f', 'g'];
    expect(await b.submit(words)).toEqual(words.map((w) => w.length));
    // aa+bb: 2x2 = 4; + cccccc: 3x6 = 18 > 12, so a new batch: cccccc+dd: 2x6 = 12; + e…: too wide; e… alone (16 > 12, but one item always goes); f+g.
    expect(batches).toEqual([['aa', 'bb'], ['cccccc', 'dd'], ['eeeeeeeeeeeeeeee'], ['f', 'g']]);
    expect(() => new PassBatcher(async (x: string[]) => x, 4, { size: () => 1, maxCost: 0 })).toThrow(RangeError);
  });

  it('finishes earlier callers with many items first, while a single item never waits more than one batch', async () => {
    const batches: string[][] = [];
    const finished: string[] = [];
    let release = () => {};
    const gate = new Promise<void>((r) => (release = r));
    let query: Promise<string[]> | undefined;
    const b = new PassBatcher(async (items: string[]) => {
      if (batches.length === 0) await gate;
      batches.push(items);
      // A query arrives while the second batch runs.
      if (batches.length === 2) query = track('query', ['q']);
      return items;
    }, 4);
    const track = (name: string, items: string[]) => b.submit(items).then((out) => (finished.push(name), out));
    const blocker = track('blocker', ['x']);
    const jobs = [track('p', ['p1', 'p2', 'p3', 'p4', 'p5', 'p6']), track('r', ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'])];
    release();
    await Promise.all([blocker, ...jobs]);
    await query;
    expect(batches[0]).toEqual(['x']);
    // p goes before r; the query, which arrived during the second batch, is in the third.
    expect(batches[1]).toEqual(['p1', 'p2', 'p3', 'p4']);
    expect(batches[2]).toEqual(['q', 'p5', 'p6', 'r1']);
    // p and the query finish with the third batch, r only with the fourth.
    expect([...finished.slice(1, 3)].sort()).toEqual(['p', 'query']);
    expect(finished[3]).toBe('r');
    expect(batches.slice(3)).toEqual([['r2', 'r3', 'r4', 'r5'], ['r6']]);
  });

  it('runs idle items only in batches that no other caller needs', async () => {
    const batches: string[][] = [];
    let late: Promise<string[]> | undefined;
    const b = new PassBatcher(async (items: string[]) => {
      batches.push(items);
      if (batches.length === 1) late = b.submit(['q2']);
      return items;
    }, 3);
    const first = b.submit(['q1']);
    const background = b.submit(['w1', 'w2', 'w3', 'w4'], { idle: true });
    const answer = b.submit(['s1', 's2']);
    expect(await background).toEqual(['w1', 'w2', 'w3', 'w4']);
    await Promise.all([first, answer, late]);
    // q2 and the answer's sentences go before the background items, which then fill whole batches.
    expect(batches).toEqual([['q1'], ['q2', 's1', 's2'], ['w1', 'w2', 'w3'], ['w4']]);
  });
});
