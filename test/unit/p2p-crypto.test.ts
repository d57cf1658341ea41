import { beforeAll, describe, expect, it } from 'vitest';
import { FormatError, toBase64Url } from '@coffre/core/format';
import { IntegrityError, initCrypto } from '@coffre/core/crypto';
import { PAIRING_WORDS } from '@coffre/core/crypto/internal/pairing-words';
import {
  linkRoom,
  newPairingCode,
  pairingRoomId,
  parsePairingCode,
} from '@coffre/core/crypto/internal/pairing';
import { linkHandshake, pairingHandshake } from '@coffre/core/crypto/internal/pake';
import {
  SignalSession,
  decodeEnvelope,
  encodeShare,
  openOffer,
  sealOffer,
  type PeerOffer,
} from '@coffre/core/crypto/internal/peer-signals';
import { randomBytes } from '@coffre/core/crypto/internal/random';

beforeAll(initCrypto);

const CODE = '4711-copper-lantern-meadow';

/** Runs both sides of a pairing and returns their session keys. */
function pair(senderCode: string, receiverCode: string) {
  const sender = pairingHandshake(senderCode, 'sender');
  const receiver = pairingHandshake(receiverCode, 'receiver');
  return {
    sender,
    receiver,
    senderKey: sender.finish(receiver.share),
    receiverKey: receiver.finish(sender.share),
  };
}

describe('pairing codes', () => {
  it('makes codes of a nameplate and three list words that parse back to themselves', () => {
    for (let i = 0; i < 50; i += 1) {
      const code = newPairingCode();
      expect(code).toMatch(/^[0-9]{4}(-[a-z]{3,8}){3}$/);
      expect(parsePairingCode(code)).toBe(code);
    }
    expect(new Set(PAIRING_WORDS).size).toBe(256);
  });

  it('reads case and spacing loosely and refuses anything else by part', () => {
    expect(parsePairingCode('  4711 Copper--LANTERN meadow ')).toBe(CODE);
    expect(() => parsePairingCode('4711-copper-lantern')).toThrow(/four parts/);
    expect(() => parsePairingCode('471-copper-lantern-meadow')).toThrow(/four digits/);
    expect(() => parsePairingCode('4711-copper-lantern-meadows')).toThrow(/Word 3/);
    expect(() => parsePairingCode('4711-copper-lantern-meadow-x')).toThrow(FormatError);
  });

  it('puts codes with one nameplate in one public room, and link rooms apart', () => {
    expect(pairingRoomId(CODE)).toBe(pairingRoomId('4711-acorn-acorn-acorn'));
    expect(pairingRoomId(CODE)).not.toBe(pairingRoomId('4712-copper-lantern-meadow'));
    const linkKey = toBase64Url(new Uint8Array(32).fill(7));
    const room = linkRoom(linkKey);
    expect(room.roomId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(toBase64Url(room.signalingKey)).not.toBe(room.roomId);
  });
});

describe('CPace pairing', () => {
  it('gives both sides one session key for the same code', () => {
    const { senderKey, receiverKey } = pair(CODE, CODE);
    expect(toBase64Url(senderKey)).toBe(toBase64Url(receiverKey));
  });

  it('gives unrelated keys for a wrong code, and the confirmation fails to open', () => {
    const { sender, senderKey, receiverKey } = pair(CODE, '4711-copper-lantern-melon');
    expect(toBase64Url(senderKey)).not.toBe(toBase64Url(receiverKey));
    const confirm = new SignalSession(receiverKey, sender.roomId, 'receiver').seal({
      t: 'confirm',
    });
    const senderSide = new SignalSession(senderKey, sender.roomId, 'sender');
    expect(() => senderSide.open(decodeEnvelope(confirm))).toThrow(IntegrityError);
  });

  it('refuses a share that is not a point, the identity, or our own share reflected', () => {
    const side = pairingHandshake(CODE, 'sender');
    expect(() => side.finish(new Uint8Array(32))).toThrow(IntegrityError); // identity
    expect(() => side.finish(new Uint8Array(32).fill(0xff))).toThrow(IntegrityError);
    expect(() => side.finish(side.share)).toThrow(IntegrityError);
    expect(() => side.finish(new Uint8Array(31))).toThrow(IntegrityError);
  });

  it('gives each pair in a link room its own key', () => {
    const { roomId, signalingKey } = linkRoom(toBase64Url(new Uint8Array(32).fill(9)));
    const s = linkHandshake(roomId, signalingKey, 'sender');
    const r1 = linkHandshake(roomId, signalingKey, 'receiver');
    const r2 = linkHandshake(roomId, signalingKey, 'receiver');
    const k1 = r1.finish(s.share);
    expect(toBase64Url(s.finish(r1.share))).toBe(toBase64Url(k1));
    expect(toBase64Url(r2.finish(s.share))).not.toBe(toBase64Url(k1));
  });
});

describe('sealed signals', () => {
  const setup = () => {
    const { sender, senderKey, receiverKey } = pair(CODE, CODE);
    return {
      roomId: sender.roomId,
      tx: new SignalSession(senderKey, sender.roomId, 'sender'),
      rx: new SignalSession(receiverKey, sender.roomId, 'receiver'),
    };
  };
  const offer = { t: 'signal', data: { type: 'offer', sdp: 'v=0' } } as const;

  it('carries the confirmation then signals in order', () => {
    const { tx, rx } = setup();
    expect(rx.open(decodeEnvelope(tx.seal({ t: 'confirm' })))).toEqual({ t: 'confirm' });
    expect(rx.open(decodeEnvelope(tx.seal(offer)))).toEqual(offer);
  });

  it('refuses an altered, replayed, reordered or reflected signal', () => {
    const { tx, rx } = setup();
    const first = tx.seal({ t: 'confirm' });
    const second = tx.seal(offer);
    const third = tx.seal(offer);
    expect(() => rx.open(decodeEnvelope(second))).toThrow(IntegrityError); // reordered
    const bytes = decodeEnvelope(first);
    if (bytes.kind !== 'sealed') throw new Error('sealed expected');
    const altered = bytes.blob.slice();
    altered[30]! ^= 1;
    expect(() => rx.open({ ...bytes, blob: altered })).toThrow(IntegrityError);
    expect(() => rx.open({ ...bytes, counter: 1 })).toThrow(IntegrityError);
    rx.open(decodeEnvelope(first));
    expect(() => rx.open(decodeEnvelope(first))).toThrow(IntegrityError); // replayed
    rx.open(decodeEnvelope(second));
    rx.open(decodeEnvelope(third));
    // A signal sent back to its own author (a relay reflecting it) does not open there.
    const { tx: author } = setup();
    expect(() => author.open(decodeEnvelope(author.seal({ t: 'confirm' })))).toThrow(
      IntegrityError,
    );
  });

  it('refuses envelopes that are garbage, oversized or of an unknown kind', () => {
    expect(() => decodeEnvelope('***')).toThrow(IntegrityError);
    expect(() => decodeEnvelope('A'.repeat(6000))).toThrow(IntegrityError);
    expect(() => decodeEnvelope(toBase64Url(Uint8Array.of(3, 1, 2)))).toThrow(IntegrityError);
    expect(() => decodeEnvelope(toBase64Url(new Uint8Array(20).fill(2)))).toThrow(IntegrityError);
    expect(() => decodeEnvelope(42)).toThrow(IntegrityError);
    expect(decodeEnvelope(encodeShare(randomBytes(32))).kind).toBe('share');
  });

  it('does not let a sealed signal for another room open', () => {
    const { sender, senderKey, receiverKey } = pair(CODE, CODE);
    const tx = new SignalSession(senderKey, sender.roomId, 'sender');
    const elsewhere = new SignalSession(receiverKey, 'B'.repeat(43), 'receiver');
    expect(() => elsewhere.open(decodeEnvelope(tx.seal({ t: 'confirm' })))).toThrow(IntegrityError);
  });
});

describe('sealed offer', () => {
  const offer: PeerOffer = {
    v: 1,
    nodeId: 'A'.repeat(22),
    revision: 3,
    name: 'report.pdf',
    mime: 'application/pdf',
    size: 10,
    manifest: 'AAAA',
    contentKey: toBase64Url(new Uint8Array(32).fill(1)),
  };

  it('opens only under its session key and room', () => {
    const key = randomBytes(32);
    const room = 'C'.repeat(43);
    const sealed = sealOffer(key, room, offer);
    expect(openOffer(key, room, sealed)).toEqual(offer);
    expect(() => openOffer(randomBytes(32), room, sealed)).toThrow(IntegrityError);
    expect(() => openOffer(key, 'D'.repeat(43), sealed)).toThrow(IntegrityError);
    expect(() => sealOffer(key, room, { ...offer, name: 'a/b' })).toThrow(FormatError);
  });
});
