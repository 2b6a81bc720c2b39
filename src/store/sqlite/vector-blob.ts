/**
 * Float32 vectors as SQLite blobs (little-endian float32, the layout sqlite-vec reads).
 *
 * @example
 * vectorFromBlob(vectorToBlob(new Float32Array([1, 0]))); // Float32Array [1, 0]
 */
export function vectorToBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** Copies the blob, so the result is aligned and owns its memory. */
export function vectorFromBlob(blob: Uint8Array): Float32Array {
  return new Float32Array(new Uint8Array(blob).buffer);
}
