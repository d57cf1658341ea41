import { FormatError } from './errors';

// Base64url (RFC 4648 §5) without padding, written here rather than borrowed from libsodium so
// that servers can decode ids and chunk hashes without loading any crypto.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

/** Characters of base64url (no padding) that encode `bytes` bytes. */
export function base64UrlLength(bytes: number): number {
  return Math.ceil((bytes * 4) / 3);
}

export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out +=
      ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]!;
    out += ALPHABET[n >> 2]! + ALPHABET[(n & 3) << 4]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 8) | bytes[i + 1]!;
    out += ALPHABET[n >> 10]! + ALPHABET[(n >> 4) & 63]! + ALPHABET[(n & 15) << 2]!;
  }
  return out;
}

function valueAt(text: string, index: number): number {
  const code = text.charCodeAt(index);
  const value = code < 128 ? VALUES[code]! : -1;
  if (value < 0) throw new FormatError(`invalid base64url character at position ${index}`);
  return value;
}

/**
 * Strict decoder: no padding, no whitespace, only the URL-safe alphabet, and the unused bits of
 * the last character must be zero, so every byte string has exactly one accepted text form.
 */
export function fromBase64Url(text: string): Uint8Array {
  if (typeof text !== 'string') throw new FormatError('base64url value must be a string');
  const rest = text.length % 4;
  if (rest === 1) throw new FormatError('invalid base64url length');
  const out = new Uint8Array(((text.length - rest) / 4) * 3 + (rest === 0 ? 0 : rest - 1));
  let o = 0;
  let i = 0;
  for (; i + 4 <= text.length; i += 4) {
    const n =
      (valueAt(text, i) << 18) |
      (valueAt(text, i + 1) << 12) |
      (valueAt(text, i + 2) << 6) |
      valueAt(text, i + 3);
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 255;
    out[o++] = n & 255;
  }
  if (rest === 2) {
    const a = valueAt(text, i);
    const b = valueAt(text, i + 1);
    if (b & 15) throw new FormatError('non-canonical base64url ending');
    out[o] = (a << 2) | (b >> 4);
  } else if (rest === 3) {
    const a = valueAt(text, i);
    const b = valueAt(text, i + 1);
    const c = valueAt(text, i + 2);
    if (c & 3) throw new FormatError('non-canonical base64url ending');
    out[o++] = (a << 2) | (b >> 4);
    out[o] = ((b & 15) << 4) | (c >> 2);
  }
  return out;
}

/** Decodes and checks the decoded length, for keys, hashes and other fixed-size values. */
export function fromBase64UrlExact(text: string, length: number, what: string): Uint8Array {
  const bytes = fromBase64Url(text);
  if (bytes.length !== length) throw new FormatError(`${what} must be ${length} bytes`);
  return bytes;
}
