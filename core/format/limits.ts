import { FormatError } from './errors';

// Bounds from format.md §8 (threat rule R17): every size or count that arrives from a server or
// a peer is checked against these before anything is allocated for it.

export const MAX_FILE_SIZE = 2 ** 50;
/** Sealed node metadata, whole blob (version byte, nonce, ciphertext, tag). */
export const MAX_SEALED_META = 4096;
/** Every sealed key blob and metadata blob is at least version + nonce + tag. */
export const SEALED_OVERHEAD = 41;

/** Argon2id parameters a client accepts from a server (format.md §4.1). */
export const KDF_LIMITS = {
  minOpslimit: 3,
  maxOpslimit: 10,
  minMemlimit: 64 * 1024 * 1024,
  maxMemlimit: 1024 * 1024 * 1024,
  saltBytes: 16,
} as const;

export function assertInteger(value: unknown, min: number, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new FormatError(`${what} must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** A file's revision number: any non-negative integer the storage server assigns, one per upload. */
export function assertRevision(value: unknown): number {
  return assertInteger(value, 0, Number.MAX_SAFE_INTEGER, 'revision');
}
