import {
  FORMAT_VERSION,
  NONCE_BYTES,
  SEALED_OVERHEAD,
  TAG_BYTES,
  base64UrlLength,
  fromBase64Url,
  toBase64Url,
} from '../format';
import { IntegrityError } from './errors';
import { randomBytes } from './random';
import { KEY_BYTES } from './primitives';
import { type SodiumMemory, sodium, sodiumMemory } from './sodium';

/** Version byte + nonce: the part before the ciphertext. */
const HEADER_BYTES = 1 + NONCE_BYTES;

/**
 * Sealed blob (format.md §3): version ‖ random 24-byte nonce ‖ XChaCha20-Poly1305(ciphertext ‖ tag).
 * Chunks use the same layout, so this is also the chunk hot path.
 */
export function seal(
  key: Uint8Array,
  ad: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const nonce = randomBytes(NONCE_BYTES);
  const ciphertext = sodium().crypto_aead_xchacha20poly1305_ietf_encrypt(
    plaintext,
    ad,
    null,
    nonce,
    key,
  );
  const out = new Uint8Array(HEADER_BYTES + ciphertext.length);
  out[0] = FORMAT_VERSION;
  out.set(nonce, 1);
  out.set(ciphertext, HEADER_BYTES);
  return out;
}

/** Throws IntegrityError for a wrong version, length, key or AD, or any altered byte. */
export function open(key: Uint8Array, ad: Uint8Array, blob: Uint8Array): Uint8Array<ArrayBuffer> {
  if (blob.length < SEALED_OVERHEAD) throw new IntegrityError();
  const plaintext = new Uint8Array(blob.length - SEALED_OVERHEAD);
  openInto(key, ad, blob, plaintext);
  return plaintext;
}

/** The ciphertext part of a sealed blob, which `openInto` may write the plaintext over. */
export function plaintextPart<B extends ArrayBufferLike>(blob: Uint8Array<B>): Uint8Array<B> {
  return blob.subarray(HEADER_BYTES, Math.max(HEADER_BYTES, blob.length - TAG_BYTES));
}

/**
 * `open` with the plaintext written to `into`, which may be the blob's own `plaintextPart`. The
 * wrappers copy their input into libsodium's memory and their output out of it into a new buffer;
 * in a browser a new 4 MiB buffer (its pages first touched by that copy) cost more than the cipher
 * itself (format.md §10). Here the blob is copied into one region of libsodium's memory kept for
 * the purpose, opened there in place, and the plaintext copied to `into`; the region is then
 * wiped. Nothing is written to `into` unless the blob is authentic.
 */
export function openInto(
  key: Uint8Array,
  ad: Uint8Array,
  blob: Uint8Array,
  into: Uint8Array,
): void {
  const length = blob.length - SEALED_OVERHEAD;
  if (length < 0 || blob[0] !== FORMAT_VERSION || key.length !== KEY_BYTES) {
    throw new IntegrityError();
  }
  if (into.length !== length) throw new RangeError('the plaintext needs exactly its own length');
  const memory = sodiumMemory();
  const size = KEY_BYTES + blob.length + ad.length;
  const base = reserve(memory, size);
  const sealedAt = base + KEY_BYTES;
  const ciphertextAt = sealedAt + HEADER_BYTES;
  const adAt = sealedAt + blob.length;
  try {
    memory.HEAPU8.set(key, base);
    memory.HEAPU8.set(blob, sealedAt);
    memory.HEAPU8.set(ad, adAt);
    const failed = memory._crypto_aead_xchacha20poly1305_ietf_decrypt(
      ciphertextAt, // the plaintext goes where its ciphertext was
      0,
      0,
      ciphertextAt,
      blob.length - HEADER_BYTES,
      0,
      adAt,
      ad.length,
      0,
      sealedAt + 1,
      base,
    );
    if (failed !== 0) throw new IntegrityError();
    into.set(memory.HEAPU8.subarray(ciphertextAt, ciphertextAt + length));
  } finally {
    memory.HEAPU8.fill(0, base, base + size);
  }
}

// The region `openInto` works in: kept from call to call (every call is synchronous, so one is
// enough), grown to the largest blob opened so far — a chunk, 4 MiB, once the first one is read.
let region = { address: 0, size: 0 };

function reserve(memory: SodiumMemory, size: number): number {
  if (region.size < size) {
    if (region.size > 0) memory._free(region.address);
    region = { address: 0, size: 0 };
    const address = memory._malloc(size);
    if (address === 0) throw new RangeError('libsodium is out of memory');
    region = { address, size };
  }
  return region.address;
}

/** Sealed blob as base64url text, the form used in the HTTP API for keys and metadata. */
export function sealToText(key: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): string {
  return toBase64Url(seal(key, ad, plaintext));
}

/** Opens base64url text; malformed text from a server is tampering like any other. */
export function openText(
  key: Uint8Array,
  ad: Uint8Array,
  text: unknown,
  maxBytes: number,
): Uint8Array {
  // Oversized input is refused before decoding it.
  if (typeof text !== 'string' || text.length > base64UrlLength(maxBytes)) {
    throw new IntegrityError();
  }
  let blob: Uint8Array;
  try {
    blob = fromBase64Url(text);
  } catch {
    throw new IntegrityError();
  }
  if (blob.length > maxBytes) throw new IntegrityError();
  return open(key, ad, blob);
}

/** Opens a sealed key and checks that it is exactly one 32-byte key. */
export function openKey(key: Uint8Array, ad: Uint8Array, text: unknown): Uint8Array {
  const opened = openText(key, ad, text, SEALED_OVERHEAD + 32);
  if (opened.length !== 32) throw new IntegrityError();
  return opened;
}
