import { describe, expect, it } from 'vitest';
import type { IndexInfo } from '../ports/store.js';
import { storeReadiness } from './readiness.js';

const INFO: IndexInfo = { schemaVersion: 1, embedderId: 'e', dimensions: 4, chunkCount: 12, fileCount: 3 };

function fakeStore() {
  const s = { calls: 0, mode: 'up' as 'up' | 'down' | 'hang', info: async (): Promise<IndexInfo> => {
    s.calls += 1;
    if (s.mode === 'down') throw new Error('connect ECONNREFUSED 10.0.0.7:6333');
    if (s.mode === 'hang') return new Promise<IndexInfo>(() => undefined);
    return INFO;
  } };
  return s;
}

describe('storeReadiness', () => {
  it('waits for the model, then reports the store as it answers now, and logs each outage once', async () => {
    let now = 0;
    const store = fakeStore();
    const model = { loaded: false, detail: 'loading the embedding model' };
    const logged: string[] = [];
    const ready = storeReadiness(store, () => model, { now: () => now, log: (m, e) => logged.push(`${m}: ${(e as Error).message}`) });
    expect(await ready()).toEqual({ ok: false, detail: 'loading the embedding model' });
    expect(store.calls).toBe(0);
    model.loaded = true;
    model.detail = 'model m loaded';
    expect(await ready()).toEqual({ ok: true, detail: 'model m loaded; index answering (12 chunks in 3 files)' });
    store.mode = 'down';
    // Within a second the last check answers: probes cannot load the store.
    expect((await ready()).ok).toBe(true);
    expect(store.calls).toBe(1);
    now += 1000;
    const down = await ready();
    expect(down).toEqual({ ok: false, detail: 'the index store is not answering; see the server log' });
    expect(JSON.stringify(down)).not.toContain('10.0.0.7');
    now += 1000;
    expect((await ready()).ok).toBe(false);
    expect(logged).toEqual(['readiness: the index store stopped answering: connect ECONNREFUSED 10.0.0.7:6333']);
    store.mode = 'up';
    now += 1000;
    expect((await ready()).ok).toBe(true);
    store.mode = 'down';
    now += 1000;
    expect((await ready()).ok).toBe(false);
    expect(logged).toHaveLength(2);
  });

  it('fails within its deadline when the store hangs, and concurrent probes share one check', async () => {
    const store = fakeStore();
    store.mode = 'hang';
    const ready = storeReadiness(store, () => ({ loaded: true, detail: 'm' }), { timeoutMs: 100 });
    const t = performance.now();
    const results = await Promise.all([ready(), ready(), ready()]);
    expect(performance.now() - t).toBeLessThan(1000);
    expect(results.every((r) => !r.ok)).toBe(true);
    expect(store.calls).toBe(1);
  });
});
