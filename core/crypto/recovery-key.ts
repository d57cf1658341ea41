import { FormatError } from '../format';

// The recovery key is written for people: Crockford base32 (digits and capitals without I, L, O,
// U, so nothing is confused when copied by hand), 52 characters in groups of four. Base64url
// would not do here: its alphabet contains '-', so dashes between groups could not be told apart
// from the key itself.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const KEY_BYTES = 32;
const TEXT_LENGTH = Math.ceil((KEY_BYTES * 8) / 5); // 52 characters, the last 4 bits zero
const GROUP = 4;

export function formatRecoveryKey(key: Uint8Array): string {
  let text = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of key) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      text += ALPHABET[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) text += ALPHABET[(buffer << (5 - bits)) & 31];
  return text.match(new RegExp(`.{1,${GROUP}}`, 'g'))!.join('-');
}

/** Accepts the key with or without its dashes and spaces, in either case; nothing else. */
export function parseRecoveryKey(text: string): Uint8Array {
  if (typeof text !== 'string') throw new FormatError('recovery key must be text');
  const compact = text.replace(/[\s-]/g, '').toUpperCase();
  if (compact.length !== TEXT_LENGTH) {
    throw new FormatError(`a recovery key has ${TEXT_LENGTH} letters and digits`);
  }
  const key = new Uint8Array(KEY_BYTES);
  let buffer = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < compact.length; i++) {
    const value = ALPHABET.indexOf(compact[i]!);
    if (value < 0) throw new FormatError(`"${compact[i]}" is not used in recovery keys`);
    buffer = ((buffer << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      key[o++] = (buffer >> bits) & 255;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) throw new FormatError('not a valid recovery key');
  return key;
}
