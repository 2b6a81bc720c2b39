import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * A check of a presented API key against the configured one in constant time: both are
 * hashed first, so neither the key's content nor its length leaks through timing.
 *
 * @example
 * const matches = apiKeyMatcher(process.env.QBANK_API_KEY);
 * matches(c.req.header('x-api-key')); // true or false
 */
export function apiKeyMatcher(expected: string): (presented: string | undefined) => boolean {
  const want = sha256(expected);
  return (presented) => {
    // Hash even a missing key, so that a missing and a wrong key take the same time.
    const equal = timingSafeEqual(want, sha256(presented ?? ''));
    return equal && presented !== undefined;
  };
}

/** The key a request presents: `Authorization: Bearer <key>`, else the `X-API-Key` header. */
export function presentedKey(header: (name: string) => string | undefined): string | undefined {
  const auth = header('authorization');
  const bearer = auth?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  return bearer ?? header('x-api-key') ?? undefined;
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
