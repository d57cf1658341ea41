import { sodium } from './sodium';

export const KEY_BYTES = 32;

/** Subkey contexts (8 bytes each, format.md §4): one key per purpose (threat rule R3). */
export const KDF_CONTEXT = {
  identity: 'coffreid',
  tree: 'coffretr',
  node: 'coffrend',
  content: 'coffrect',
  recovery: 'coffrerk',
  link: 'coffrelk',
  linkOwner: 'coffreol',
  peerSession: 'coffrep2',
} as const;

export function deriveSubkey(key: Uint8Array, context: string, id: number): Uint8Array {
  return sodium().crypto_kdf_derive_from_key(KEY_BYTES, id, context, key);
}

export function sha256(bytes: Uint8Array): Uint8Array {
  return sodium().crypto_hash_sha256(bytes);
}

/** Keyed BLAKE2b-256. */
export function keyedHash(key: Uint8Array, message: Uint8Array): Uint8Array {
  return sodium().crypto_generichash(32, message, key);
}

/** Constant-time equality for secrets and authenticators; different lengths are simply unequal. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && sodium().memcmp(a, b);
}

export function assertKey(key: unknown, what: string): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    throw new TypeError(`${what} must be a 32-byte Uint8Array`);
  }
}
