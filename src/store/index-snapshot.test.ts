import { describe, expect, it } from 'vitest';
import type { FileRecord } from '../ports/chunk.js';
import { IndexSnapshot } from './index-snapshot.js';

describe('IndexSnapshot', () => {
  it('builds once per state of the index, again when a file is added, changed or removed, and retries a failed build', async () => {
    let files: FileRecord[] = [{ file: 'a.md', hash: '1', chunkCount: 1 }];
    let builds = 0;
    let fail = false;
    const snap = new IndexSnapshot({ listFiles: async () => files }, async (names) => {
      builds += 1;
      if (fail) throw new Error('store went away');
      return names.join(',');
    });
    expect(await snap.current()).toBe('a.md');
    expect(await snap.current()).toBe('a.md');
    expect(builds).toBe(1);
    files = [...files, { file: 'b.md', hash: '2', chunkCount: 1 }];
    expect(await snap.current()).toBe('a.md,b.md');
    files = [{ file: 'a.md', hash: '9', chunkCount: 1 }, { file: 'b.md', hash: '2', chunkCount: 1 }];
    fail = true;
    await expect(snap.current()).rejects.toThrow('store went away');
    fail = false;
    expect(await snap.current()).toBe('a.md,b.md');
    expect(builds).toBe(4);
    files = [{ file: 'b.md', hash: '2', chunkCount: 1 }];
    expect(await snap.current()).toBe('b.md');
    expect(builds).toBe(5);
  });
});
