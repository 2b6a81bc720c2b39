import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMemoryIndex, type MemoryIndex } from '../../test/support/memory-index.js';
import { post, testApi } from '../../test/support/test-api.js';

let index: MemoryIndex;
beforeAll(async () => {
  index = await buildMemoryIndex({ files: ['002_bedc587ae5620290.txt'] });
});
afterAll(() => index.close());

const KEY = 'k3y-for-tests-0123456789';

describe('API key', () => {
  it('is required on /v1/* when configured: 401 when missing or wrong', async () => {
    const { app } = testApi(index, { apiKey: KEY });
    for (const headers of [{}, { authorization: 'Bearer wrong-key-0123456789' }, { 'x-api-key': `${KEY}x` }, { authorization: `Basic ${KEY}` }]) {
      const res = await app.request(...post('/v1/search', { query: 'lora' }, headers));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="qbank"');
      expect(await res.json()).toMatchObject({ code: 'unauthorized', status: 401 });
    }
    expect((await app.request('/v1/documents')).status).toBe(401);
  });

  it('is accepted as a bearer token or an X-API-Key header', async () => {
    const { app } = testApi(index, { apiKey: KEY });
    expect((await app.request(...post('/v1/search', { query: 'lora' }, { authorization: `Bearer ${KEY}` }))).status).toBe(200);
    expect((await app.request('/v1/documents', { headers: { 'x-api-key': KEY } })).status).toBe(200);
  });

  it('leaves the page, docs and probes open', async () => {
    const { app } = testApi(index, { apiKey: KEY });
    for (const path of ['/', '/docs', '/openapi.json', '/widget.js', '/healthz', '/readyz']) expect((await app.request(path)).status, path).toBe(200);
  });

  it('is not needed when none is configured', async () => {
    const { app } = testApi(index);
    expect((await app.request('/v1/documents')).status).toBe(200);
  });
});

describe('rate limit', () => {
  it('gives each client a burst, then 429 with Retry-After, then tokens back over time', async () => {
    let now = 0;
    const { app } = testApi(index, { rateLimit: { perMinute: 6, burst: 2 } }, { now: () => now });
    const get = (client: string) => app.request('/v1/documents', { headers: { 'x-test-client': client } });
    expect((await get('10.0.0.1')).status).toBe(200);
    expect((await get('10.0.0.1')).status).toBe(200);
    const limited = await get('10.0.0.1');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('10');
    expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await limited.json()).toMatchObject({ code: 'rate_limited', status: 429 });
    // Another client has its own bucket.
    expect((await get('10.0.0.2')).status).toBe(200);
    now += 10_000;
    expect((await get('10.0.0.1')).status).toBe(200);
    expect((await get('10.0.0.1')).status).toBe(429);
  });

  it('limits per API key when one is configured, and counts failed key attempts per address', async () => {
    const { app } = testApi(index, { apiKey: KEY, rateLimit: { perMinute: 1, burst: 2 } }, { now: () => 0 });
    const wrong = () => app.request('/v1/documents', { headers: { 'x-test-client': '10.0.0.9', 'x-api-key': 'guess-0123456789abcdef' } });
    expect((await wrong()).status).toBe(401);
    expect((await wrong()).status).toBe(401);
    expect((await wrong()).status).toBe(429);
    // The key's own bucket is separate from the address's.
    const right = () => app.request('/v1/documents', { headers: { 'x-test-client': '10.0.0.9', 'x-api-key': KEY } });
    expect((await right()).status).toBe(200);
    expect((await right()).status).toBe(200);
    expect((await right()).status).toBe(429);
  });

  it('does not limit the page, the docs or the probes', async () => {
    const { app } = testApi(index, { rateLimit: { perMinute: 1, burst: 1 } }, { now: () => 0 });
    for (let i = 0; i < 5; i++) expect((await app.request('/healthz')).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await app.request('/')).status).toBe(200);
  });
});

describe('CORS', () => {
  const origin = 'http://127.0.0.1:9999';
  it('allows a listed origin, preflight included', async () => {
    const { app } = testApi(index, { corsOrigins: [origin] });
    const preflight = await app.request('/v1/ask', {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,accept' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
    const res = await app.request(...post('/v1/search', { query: 'lora' }, { origin }));
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(res.headers.get('vary')).toContain('Origin');
  });

  it('denies an origin that is not listed', async () => {
    const { app } = testApi(index, { corsOrigins: [origin] });
    const preflight = await app.request('/v1/ask', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const res = await app.request(...post('/v1/search', { query: 'lora' }, { origin: 'https://evil.example' }));
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('keeps CORS headers on errors, so the widget can read a 429 or a 400', async () => {
    const { app } = testApi(index, { corsOrigins: [origin], rateLimit: { perMinute: 1, burst: 1 } }, { now: () => 0 });
    const bad = await app.request(...post('/v1/ask', { question: '' }, { origin }));
    expect(bad.status).toBe(400);
    expect(bad.headers.get('access-control-allow-origin')).toBe(origin);
    const limited = await app.request(...post('/v1/ask', { question: 'lora' }, { origin }));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('access-control-allow-origin')).toBe(origin);
    expect(limited.headers.get('access-control-expose-headers')).toContain('Retry-After');
  });
});

describe('security headers', () => {
  it('sends a strict content security policy and the usual hardening headers', async () => {
    const { app } = testApi(index);
    for (const path of ['/', '/docs', '/widget.js', '/v1/documents', '/nope']) {
      const res = await app.request(path);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("default-src 'none'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).not.toContain('unsafe-inline');
      expect(csp, path).not.toContain('unsafe-eval');
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(res.headers.get('x-frame-options'), path).toBe('SAMEORIGIN');
      expect(res.headers.get('x-request-id'), path).toBeTruthy();
    }
  });

  it('serves a page that needs no inline script or style', async () => {
    const { app } = testApi(index);
    const html = await (await app.request('/')).text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect(html).not.toMatch(/https?:\/\//);
  });
});
