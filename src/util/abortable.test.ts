import { describe, expect, it } from 'vitest';
import { abortable } from './abortable.js';

async function* stuckAfter(values: number[], state: { returned: boolean }): AsyncGenerator<number> {
  try {
    yield* values;
    await new Promise(() => {});
  } finally {
    state.returned = true;
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('abortable', () => {
  it('passes a source through when nothing aborts, and without a signal', async () => {
    async function* three() {
      yield* [1, 2, 3];
    }
    expect(await collect(abortable(three(), new AbortController().signal))).toEqual([1, 2, 3]);
    expect(await collect(abortable(three(), undefined))).toEqual([1, 2, 3]);
  });

  it('throws the abort reason while the source is stuck and ignores the signal', async () => {
    const controller = new AbortController();
    const reason = new Error('deadline');
    const seen: number[] = [];
    const state = { returned: false };
    setTimeout(() => controller.abort(reason), 20);
    const started = performance.now();
    await expect(
      (async () => {
        for await (const x of abortable(stuckAfter([1, 2], state), controller.signal)) seen.push(x);
      })(),
    ).rejects.toBe(reason);
    expect(seen).toEqual([1, 2]);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses to start on an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('already'));
    await expect(collect(abortable(stuckAfter([1], { returned: false }), controller.signal))).rejects.toThrow('already');
  });

  it('closes the source when the consumer stops early', async () => {
    const state = { returned: false };
    for await (const x of abortable(stuckAfter([1, 2, 3], state), new AbortController().signal)) if (x === 2) break;
    expect(state.returned).toBe(true);
  });
});
