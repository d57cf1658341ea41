import { FormatError } from './errors';

/**
 * Ids are 16 random bytes in base64url (22 characters). User, node, upload and link ids all have
 * this form. Everywhere they are used — associated data, URLs, storage keys — the id is the
 * text itself, so only its form is checked.
 */
export const ID_BYTES = 16;
export const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

export function isId(s: unknown): s is string {
  return typeof s === 'string' && ID_PATTERN.test(s);
}

export function assertId(s: unknown, what: string): asserts s is string {
  if (!isId(s)) throw new FormatError(`${what} must be a 22-character base64url id`);
}

/** A chunk id: SHA-256 of the sealed chunk in canonical base64url (43 characters). */
export const CHUNK_ID_PATTERN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

export function isChunkId(s: unknown): s is string {
  return typeof s === 'string' && CHUNK_ID_PATTERN.test(s);
}
