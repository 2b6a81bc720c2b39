import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { ConfigError } from './errors.js';

describe('loadConfig', () => {
  it('defaults to the embedded store and the bundled model', () => {
    const c = loadConfig({}, {}, '/tmp/work');
    expect(c.store).toEqual({ kind: 'sqlite', path: '/tmp/work/.qbank/index.sqlite' });
    expect(c.embedder).toMatchObject({ kind: 'local', model: 'onnx-community/all-MiniLM-L6-v2-ONNX', dtype: 'q4', dimensions: 384, allowRemote: false });
    expect(c.retrieval).toMatchObject({ rrfK: 100, bm25TopN: 50, denseTopN: 50, topK: 5 });
  });
  it('lets a flag win over its environment variable', () => {
    const c = loadConfig({ dataDir: '/flag' }, { QBANK_DATA_DIR: '/env' }, '/');
    expect(c.dataDir).toBe('/flag');
  });
  it('reads Qdrant settings', () => {
    const c = loadConfig({ store: 'qdrant' }, { QDRANT_URL: 'http://10.0.0.1:6333', QDRANT_SHARDS: '3' }, '/');
    expect(c.store).toMatchObject({ kind: 'qdrant', url: 'http://10.0.0.1:6333', shardNumber: 3, replicationFactor: 1, collection: 'qbank' });
  });
  it('names the variable and the fix when a value is wrong', () => {
    expect(() => loadConfig({}, { QBANK_RRF_K: 'many' }, '/')).toThrow(/QBANK_RRF_K="many" is not a number/);
    expect(() => loadConfig({}, { QBANK_RRF_K: '0' }, '/')).toThrow(ConfigError);
    expect(() => loadConfig({ store: 'mongo' }, {}, '/')).toThrow(/store\.kind.*--store sqlite\|qdrant/s);
    expect(() => loadConfig({}, { QBANK_STORE: 'qdrant', QDRANT_URL: 'not a url' }, '/')).toThrow(/QDRANT_URL/);
  });
});
