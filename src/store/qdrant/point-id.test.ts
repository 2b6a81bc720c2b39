import { describe, expect, it } from 'vitest';
import { pointId, uuidV5 } from './point-id.js';

describe('point ids', () => {
  it('computes RFC 9562 UUID v5 values', () => {
    // The RFC's DNS namespace example, and Python's uuid.uuid5(NAMESPACE_URL, 'https://qdrant.tech/').
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    expect(uuidV5('6ba7b811-9dad-11d1-80b4-00c04fd430c8', 'https://qdrant.tech/')).toBe('04e93ec0-77ed-5b76-87c2-cafd59f9ce6b');
  });

  it('is deterministic, a valid v5 UUID, and separates kinds', () => {
    const id = pointId('chunk', 'c_3f2a');
    expect(pointId('chunk', 'c_3f2a')).toBe(id);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(pointId('file', 'c_3f2a')).not.toBe(id);
    expect(pointId('chunk', 'c_3f2b')).not.toBe(id);
    expect(pointId('term', 'naïve')).not.toBe(pointId('term', 'naive'));
  });

  it('refuses a namespace that is not a UUID', () => {
    expect(() => uuidV5('nope', 'x')).toThrow(/not a UUID/);
  });
});
