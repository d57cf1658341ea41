import { FormatError } from './errors';
import { assertInteger, MAX_FILE_SIZE } from './limits';

/** Plaintext bytes per chunk; only the last chunk of a file is shorter. Fixed by the format. */
export const CHUNK_SIZE = 4 * 1024 * 1024;
/** Version byte + 24-byte nonce + 16-byte tag added to every sealed chunk. */
export const CHUNK_OVERHEAD = 41;
export const MAX_CHUNK_CIPHER_SIZE = CHUNK_SIZE + CHUNK_OVERHEAD;
export const MAX_CHUNKS = MAX_FILE_SIZE / CHUNK_SIZE;
/** The manifest grows with its chunk list: at most this much per chunk plus a fixed part. */
export const MANIFEST_BYTES_PER_CHUNK = 64;
export const MANIFEST_FIXED_BYTES = 4096;

const checkSize = (plainSize: unknown): number =>
  assertInteger(plainSize, 0, MAX_FILE_SIZE, 'file size');

/** An empty file is one empty chunk, so every file has at least one chunk. */
export function chunkCount(plainSize: number): number {
  return Math.max(1, Math.ceil(checkSize(plainSize) / CHUNK_SIZE));
}

function checkIndex(plainSize: number, index: unknown): number {
  return assertInteger(index, 0, chunkCount(plainSize) - 1, 'chunk index');
}

export function plainChunkSize(plainSize: number, index: number): number {
  const i = checkIndex(plainSize, index);
  return Math.min(CHUNK_SIZE, plainSize - i * CHUNK_SIZE);
}

export function cipherChunkSize(plainSize: number, index: number): number {
  return plainChunkSize(plainSize, index) + CHUNK_OVERHEAD;
}

/** Total ciphertext bytes of all the chunks of a file. */
export function cipherSize(plainSize: number): number {
  return plainSize + chunkCount(plainSize) * CHUNK_OVERHEAD;
}

/** Inverse of cipherSize for a known chunk count; throws if the pair is not one the format makes. */
export function plainSizeFromCipher(cipherTotal: number, count: number): number {
  assertInteger(count, 1, MAX_CHUNKS, 'chunk count');
  assertInteger(cipherTotal, 0, MAX_FILE_SIZE + MAX_CHUNKS * CHUNK_OVERHEAD, 'ciphertext size');
  const plainSize = cipherTotal - count * CHUNK_OVERHEAD;
  if (plainSize < 0 || plainSize > MAX_FILE_SIZE || chunkCount(plainSize) !== count) {
    throw new FormatError('ciphertext size does not match the chunk count');
  }
  return plainSize;
}

/** Largest sealed manifest (bytes) a reader accepts for a file of `count` chunks. */
export function maxSealedManifestSize(count: number): number {
  return (
    assertInteger(count, 1, MAX_CHUNKS, 'chunk count') * MANIFEST_BYTES_PER_CHUNK +
    MANIFEST_FIXED_BYTES
  );
}
