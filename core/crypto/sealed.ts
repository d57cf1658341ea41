import { FORMAT_VERSION, SEALED_OVERHEAD, fromBase64Url, toBase64Url } from '../format';
import { IntegrityError } from './errors';
import { randomBytes } from './random';
import { sodium } from './sodium';

const NONCE_BYTES = 24;
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
  if (blob.length < SEALED_OVERHEAD || blob[0] !== FORMAT_VERSION) throw new IntegrityError();
  try {
    // libsodium copies its output out of the wasm heap into a fresh ArrayBuffer; the typing says
    // so, letting callers hand plaintext to browser APIs that refuse shared buffers.
    return sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      blob.subarray(HEADER_BYTES),
      ad,
      blob.subarray(1, HEADER_BYTES),
      key,
    ) as Uint8Array<ArrayBuffer>;
  } catch {
    throw new IntegrityError();
  }
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
  // Four base64url characters carry three bytes; refuse oversized input before decoding it.
  if (typeof text !== 'string' || text.length > Math.ceil((maxBytes * 4) / 3)) {
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
