import { FormatError, associatedData, decodeLinkKey, toBase64Url } from '../format';
import { PAIRING_WORDS } from './pairing-words';
import { KDF_CONTEXT, deriveSubkey } from './primitives';
import { randomBytes } from './random';
import { sodium } from './sodium';

// Pairing codes and P2P rooms (format.md §13.1, §13.2). The nameplate only picks the room; the
// whole code is the PAKE password (pake.ts), so the room id is public by design.

const NAMEPLATE = /^[0-9]{4}$/;
const WORD_INDEX = new Map(PAIRING_WORDS.map((word, index) => [word, index]));

/** A fresh code `NNNN-word-word-word`: a uniform 4-digit nameplate and three uniform words. */
export function newPairingCode(): string {
  let value: number;
  do {
    const bytes = randomBytes(2);
    value = (bytes[0]! << 8) | bytes[1]!;
  } while (value >= 60_000); // rejection sampling: 60,000 is the largest multiple of 10,000 ≤ 2^16
  const nameplate = String(value % 10_000).padStart(4, '0');
  const words = [...randomBytes(3)].map((byte) => PAIRING_WORDS[byte]!);
  return [nameplate, ...words].join('-');
}

/**
 * The canonical text of a code typed or scanned by a person: any case, any run of spaces and
 * dashes between the four parts. Each refusal names the part, so it can be shown as it is.
 */
export function parsePairingCode(input: string): string {
  if (typeof input !== 'string') throw new FormatError('The code must be text.');
  const parts = input
    .trim()
    .toLowerCase()
    .split(/[\s-]+/)
    .filter(Boolean);
  if (parts.length !== 4) {
    throw new FormatError(
      'A code has four parts: a number and three words, like 1234-word-word-word.',
    );
  }
  const [nameplate, ...words] = parts as [string, string, string, string];
  if (!NAMEPLATE.test(nameplate)) {
    throw new FormatError('A code starts with four digits.');
  }
  words.forEach((word, i) => {
    if (!WORD_INDEX.has(word))
      throw new FormatError(`Word ${i + 1} ("${word}") is not a code word.`);
  });
  return [nameplate, ...words].join('-');
}

/** Room of a pairing code: an unkeyed hash of its nameplate, 43 characters. */
export function pairingRoomId(code: string): string {
  const nameplate = parsePairingCode(code).slice(0, 4);
  return toBase64Url(
    sodium().crypto_generichash(32, associatedData('p2p-pairing-room', nameplate), null),
  );
}

/** Room id and signaling key of a share link: subkeys 2 and 3 of its link key (§11.3 reserved them). */
export function linkRoom(linkKeyText: string): { roomId: string; signalingKey: Uint8Array } {
  const linkKey = decodeLinkKey(linkKeyText);
  return {
    roomId: toBase64Url(deriveSubkey(linkKey, KDF_CONTEXT.link, 2)),
    signalingKey: deriveSubkey(linkKey, KDF_CONTEXT.link, 3),
  };
}
