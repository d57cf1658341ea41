import { describe, expect, it } from 'vitest';
import {
  CHUNK_OVERHEAD,
  CHUNK_SIZE,
  FormatError,
  MAX_CHUNKS,
  MAX_CHUNK_CIPHER_SIZE,
  MAX_FILE_SIZE,
  associatedDataText,
  chunkCount,
  cipherChunkSize,
  cipherSize,
  fromBase64Url,
  isChunkId,
  isId,
  maxSealedManifestSize,
  plainChunkSize,
  plainSizeFromCipher,
  toBase64Url,
} from '@coffre/core/format';

// A small deterministic generator so the property checks are reproducible.
function* pseudoRandom(seed: number): Generator<number> {
  let x = seed;
  for (;;) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    yield x;
  }
}

describe('base64url', () => {
  it('round-trips and matches the RFC 4648 URL-safe encoding for every length 0..64', () => {
    const rng = pseudoRandom(7);
    for (let length = 0; length <= 64; length++) {
      const bytes = Uint8Array.from({ length }, () => rng.next().value & 255);
      const text = toBase64Url(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64url'));
      expect(fromBase64Url(text)).toEqual(bytes);
    }
  });

  it.each([
    ['padding', 'AA=='],
    ['standard alphabet +', 'ab+c'],
    ['standard alphabet /', 'ab/c'],
    ['whitespace', 'ab c'],
    ['impossible length', 'abcde'],
    ['non-canonical trailing bits (1 byte)', 'AB'],
    ['non-canonical trailing bits (2 bytes)', 'AAB'],
    ['non-ASCII', 'aé'],
  ])('rejects %s', (_, text) => {
    expect(() => fromBase64Url(text)).toThrow(FormatError);
  });
});

describe('ids', () => {
  it('accepts exactly 22 base64url characters', () => {
    expect(isId(toBase64Url(new Uint8Array(16).fill(200)))).toBe(true);
    expect(isId('a'.repeat(21))).toBe(false);
    expect(isId('a'.repeat(23))).toBe(false);
    expect(isId('a'.repeat(21) + '/')).toBe(false);
    expect(isId(42)).toBe(false);
  });

  it('recognises canonical chunk ids only', () => {
    const id = toBase64Url(new Uint8Array(32).fill(255));
    expect(isChunkId(id)).toBe(true);
    expect(isChunkId(id.slice(0, 42) + '_')).toBe(false);
  });
});

describe('chunk arithmetic', () => {
  it('gives one empty chunk for an empty file and fixed chunk boundaries otherwise', () => {
    expect(chunkCount(0)).toBe(1);
    expect(plainChunkSize(0, 0)).toBe(0);
    expect(cipherSize(0)).toBe(CHUNK_OVERHEAD);
    expect(chunkCount(CHUNK_SIZE)).toBe(1);
    expect(chunkCount(CHUNK_SIZE + 1)).toBe(2);
    expect(cipherChunkSize(CHUNK_SIZE, 0)).toBe(MAX_CHUNK_CIPHER_SIZE);
    expect(chunkCount(MAX_FILE_SIZE)).toBe(MAX_CHUNKS);
  });

  it('sums chunk sizes to the file size and inverts cipherSize (property check)', () => {
    const rng = pseudoRandom(11);
    const sizes = [1, CHUNK_SIZE - 1, 3 * CHUNK_SIZE, 3 * CHUNK_SIZE + 5, MAX_FILE_SIZE];
    for (let i = 0; i < 200; i++) sizes.push(rng.next().value * 4099);
    for (const size of sizes) {
      const count = chunkCount(size);
      const last = plainChunkSize(size, count - 1);
      expect(last).toBeGreaterThan(0);
      expect(last).toBeLessThanOrEqual(CHUNK_SIZE);
      if (count > 1) expect(plainChunkSize(size, count - 2)).toBe(CHUNK_SIZE);
      expect((count - 1) * CHUNK_SIZE + last).toBe(size);
      expect(cipherSize(size)).toBe(size + count * CHUNK_OVERHEAD);
      expect(plainSizeFromCipher(cipherSize(size), count)).toBe(size);
    }
  });

  it('rejects out-of-range and non-integer input', () => {
    for (const bad of [-1, 1.5, NaN, Infinity, MAX_FILE_SIZE + 1]) {
      expect(() => chunkCount(bad)).toThrow(FormatError);
    }
    expect(() => plainChunkSize(10, 1)).toThrow(FormatError);
    expect(() => plainChunkSize(10, -1)).toThrow(FormatError);
    expect(() => plainSizeFromCipher(cipherSize(CHUNK_SIZE * 2), 1)).toThrow(FormatError);
    expect(() => plainSizeFromCipher(10, 1)).toThrow(FormatError);
    expect(() => maxSealedManifestSize(MAX_CHUNKS + 1)).toThrow(FormatError);
  });
});

describe('associated data', () => {
  it('writes coffre|1|purpose|fields with decimal integers', () => {
    expect(associatedDataText('chunk', 'n'.repeat(22), 3, 0, 12, 0)).toBe(
      `coffre|1|chunk|${'n'.repeat(22)}|3|0|12|0`,
    );
    expect(associatedDataText('manifest-signature')).toBe('coffre|1|manifest-signature');
  });

  it('rejects a wrong field count, "|" inside a field, empty fields and bad numbers', () => {
    expect(() => associatedDataText('content-key', 'a')).toThrow(FormatError);
    expect(() => associatedDataText('master-key', 'a|b')).toThrow(FormatError);
    expect(() => associatedDataText('master-key', '')).toThrow(FormatError);
    expect(() => associatedDataText('content-key', 'a', -1)).toThrow(FormatError);
    expect(() => associatedDataText('content-key', 'a', 0.5)).toThrow(FormatError);
  });
});
