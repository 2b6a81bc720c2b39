import { createHash } from 'node:crypto';

/**
 * Namespace of qbank's point ids (a random v4 UUID, fixed forever: changing it renames every
 * point of every existing collection).
 */
export const POINT_ID_NAMESPACE = '2f0a4c9e-7b1d-4e55-9a63-1c8e5d0b7f42';

/**
 * What a point holds: a chunk's vectors and search fields, a chunk's body (see
 * `chunk-payload.ts`), a file record, one term's document frequency, or the BM25 statistics.
 */
export type PointKind = 'chunk' | 'body' | 'file' | 'term' | 'stats';

/**
 * The Qdrant point id of a qbank record: a UUID v5 (RFC 9562, SHA-1) of `kind` and `key` in
 * qbank's namespace. Deterministic, so re-ingesting a chunk overwrites its point in place and any
 * process can address a chunk by its qbank id without a lookup.
 *
 * @example
 * pointId('chunk', 'c_3f2a9d'); // '0b5e…-5…' (always the same)
 */
export function pointId(kind: PointKind, key: string): string {
  return uuidV5(POINT_ID_NAMESPACE, `${kind}\u0000${key}`);
}

/**
 * A name-based UUID, version 5: SHA-1 of the namespace's 16 bytes then the name's UTF-8 bytes,
 * truncated to 16 bytes, with the version and variant bits set.
 *
 * @example
 * uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com'); // '2ed6657d-e927-568b-95e1-2665a8aea6a2'
 */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  if (ns.length !== 16) throw new TypeError(`"${namespace}" is not a UUID.`);
  const bytes = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
