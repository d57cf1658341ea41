/**
 * The one error for every failed decryption or verification, whatever the cause (format.md §9):
 * wrong key, wrong associated data, truncation, a flipped bit, a bad signature or commitment.
 * It never says which check failed, so it cannot serve as an oracle.
 */
export class IntegrityError extends Error {
  override name = 'IntegrityError';
  constructor() {
    super('integrity check failed');
  }
}

/** The server asked for password-hashing parameters below the client's floor or an unknown algorithm. */
export class WeakKdfError extends Error {
  override name = 'WeakKdfError';
}
