import { describe, expect, it } from 'vitest';
import { TickBatch } from './tick-batch.js';

describe('TickBatch', () => {
  it('sends the requests added in one synchronous stretch together, and later ones apart', async () => {
    const sent: number[][] = [];
    const batch = new TickBatch<number, string>(async (xs) => {
      sent.push(xs);
      return xs.map((x) => ({ status: 'fulfilled', value: `r${x}` }));
    });
    expect(await Promise.all([batch.add(1), batch.add(2)])).toEqual(['r1', 'r2']);
    expect(await batch.add(3)).toBe('r3');
    expect(sent).toEqual([[1, 2], [3]]);
  });

  it('fails one request alone when its result says so', async () => {
    const batch = new TickBatch<number, number>((xs) => Promise.allSettled(xs.map(async (x) => {
      if (x < 0) throw new Error(`bad ${x}`);
      return x;
    })));
    const [a, b] = await Promise.allSettled([batch.add(1), batch.add(-1)]);
    expect(a).toEqual({ status: 'fulfilled', value: 1 });
    expect(b).toMatchObject({ status: 'rejected', reason: new Error('bad -1') });
  });

  it('fails every request of a batch whose send fails, or answers too few', async () => {
    const failing = new TickBatch<number, number>(() => {
      throw new Error('down');
    });
    const results = await Promise.allSettled([failing.add(1), failing.add(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const short = new TickBatch<number, number>(async () => [{ status: 'fulfilled', value: 1 }]);
    const [a, b] = await Promise.allSettled([short.add(1), short.add(2)]);
    expect(a).toEqual({ status: 'fulfilled', value: 1 });
    expect(b.status).toBe('rejected');
  });
});
