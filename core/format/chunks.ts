import { FormatError } from './errors';
import {
  CHUNK_OVERHEAD,
  CHUNK_SIZE,
  MAX_CHUNKS,
  MAX_FILE_SIZE,
  MAX_UPLOAD_SIZE,
  assertInteger,
} from './limits';

// The size arithmetic of format.md §5: chunk counts and sizes from a file's size.

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
  assertInteger(cipherTotal, 0, MAX_UPLOAD_SIZE, 'ciphertext size');
  const plainSize = cipherTotal - count * CHUNK_OVERHEAD;
  if (plainSize < 0 || plainSize > MAX_FILE_SIZE || chunkCount(plainSize) !== count) {
    throw new FormatError('ciphertext size does not match the chunk count');
  }
  return plainSize;
}
