import { FormatError, associatedData } from '../format';
import { IntegrityError } from './errors';
import { parsePairingCode, pairingRoomId } from './pairing';
import { assertKey, equalBytes, keyedHash } from './primitives';
import { randomBytes } from './random';
import { sodium } from './sodium';

// The two introductions of format.md §13.3–13.4. Both exchange one 32-byte share each way and
// derive a session key bound to the room and to both shares; pairing uses CPace over
// ristretto255 (ADR 0005), a link room random nonces keyed by the link's signaling key.

export type PeerRole = 'sender' | 'receiver';

export const SHARE_BYTES = 32;
export const ROOM_ID = /^[A-Za-z0-9_-]{43}$/;

const encoder = new TextEncoder();

/** One side of an introduction: its share to send, and the session key once the peer's arrives. */
export interface Handshake {
  readonly roomId: string;
  readonly role: PeerRole;
  readonly share: Uint8Array;
  /** Throws IntegrityError for a share that cannot be right (wrong length, invalid, our own). */
  finish(peerShare: Uint8Array): Uint8Array;
}

/** `AD text ‖ '|' ‖ tail`: a hash message whose prefix names its purpose and fields. */
function message(prefix: Uint8Array, ...tail: Uint8Array[]): Uint8Array {
  const length = tail.reduce((sum, part) => sum + part.length, prefix.length + 1);
  const out = new Uint8Array(length);
  out.set(prefix);
  out[prefix.length] = 0x7c; // '|'
  let at = prefix.length + 1;
  for (const part of tail) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function checkPeerShare(own: Uint8Array, peer: Uint8Array): void {
  if (!(peer instanceof Uint8Array) || peer.length !== SHARE_BYTES || equalBytes(own, peer)) {
    throw new IntegrityError();
  }
}

/** Shares in the fixed order sender, receiver, whichever side computes. */
const ordered = (role: PeerRole, own: Uint8Array, peer: Uint8Array) =>
  role === 'sender' ? [own, peer] : [peer, own];

/** The CPace generator: a ristretto255 point hashed from the room and the code. */
export function cpaceGenerator(roomId: string, code: string): Uint8Array {
  const canonical = parsePairingCode(code);
  const hash = sodium().crypto_generichash(
    64,
    message(associatedData('p2p-cpace', roomId), encoder.encode(canonical)),
    null,
  );
  return sodium().crypto_core_ristretto255_from_hash(hash);
}

/** CPace for a pairing code (§13.3). A fresh secret scalar per call: one attempt, one handshake. */
export function pairingHandshake(code: string, role: PeerRole): Handshake {
  const roomId = pairingRoomId(code);
  const s = sodium();
  const generator = cpaceGenerator(roomId, code);
  const secret = s.crypto_core_ristretto255_scalar_reduce(randomBytes(64));
  const share = s.crypto_scalarmult_ristretto255(secret, generator);
  return {
    roomId,
    role,
    share,
    finish(peerShare) {
      checkPeerShare(share, peerShare);
      if (!s.crypto_core_ristretto255_is_valid_point(peerShare)) throw new IntegrityError();
      let shared: Uint8Array;
      try {
        shared = s.crypto_scalarmult_ristretto255(secret, peerShare); // throws on the identity
      } catch {
        throw new IntegrityError();
      }
      return keyedHash(
        shared,
        message(associatedData('p2p-pairing-key', roomId), ...ordered(role, share, peerShare)),
      );
    },
  };
}

/** A link room's introduction (§13.4): random nonces, keyed by the link's signaling key. */
export function linkHandshake(roomId: string, signalingKey: Uint8Array, role: PeerRole): Handshake {
  if (!ROOM_ID.test(roomId)) throw new FormatError('a room id is 43 base64url characters');
  assertKey(signalingKey, 'signaling key');
  const share = randomBytes(SHARE_BYTES);
  return {
    roomId,
    role,
    share,
    finish(peerShare) {
      checkPeerShare(share, peerShare);
      return keyedHash(
        signalingKey,
        message(associatedData('p2p-link-key', roomId), ...ordered(role, share, peerShare)),
      );
    },
  };
}
