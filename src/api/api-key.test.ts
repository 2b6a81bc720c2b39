import { describe, expect, it } from 'vitest';
import { apiKeyMatcher, presentedKey } from './api-key.js';

describe('apiKeyMatcher', () => {
  const matches = apiKeyMatcher('s3cret-key-0123456789');
  it('accepts only the exact key', () => {
    expect(matches('s3cret-key-0123456789')).toBe(true);
    expect(matches('s3cret-key-012345678')).toBe(false);
    expect(matches('S3CRET-KEY-0123456789')).toBe(false);
    expect(matches('')).toBe(false);
    expect(matches(undefined)).toBe(false);
  });
});

describe('presentedKey', () => {
  const from = (h: Record<string, string>) => presentedKey((n) => h[n]);
  it('reads a bearer token first, then X-API-Key', () => {
    expect(from({ authorization: 'Bearer abc' })).toBe('abc');
    expect(from({ authorization: 'bearer  abc ' })).toBe('abc');
    expect(from({ 'x-api-key': 'xyz' })).toBe('xyz');
    expect(from({ authorization: 'Basic Zm9v', 'x-api-key': 'xyz' })).toBe('xyz');
    expect(from({})).toBeUndefined();
  });
});
