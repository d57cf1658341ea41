import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '@coffre/core/format';
import { IntegrityError, initCrypto } from '@coffre/core/crypto';
import { linkRoom, parsePairingCode } from '@coffre/core/crypto/internal/pairing';
import { linkHandshake, pairingHandshake } from '@coffre/core/crypto/internal/pake';
import {
  SignalSession,
  decodeEnvelope,
  openOffer,
} from '@coffre/core/crypto/internal/peer-signals';
import { makeP2pVectors, type P2pVectors } from './p2p-vectors';

const vectors = JSON.parse(
  readFileSync(new URL('./p2p.json', import.meta.url), 'utf8'),
) as P2pVectors;

beforeAll(initCrypto);

describe('P2P vectors (format.md §13)', () => {
  it('are what the code makes, byte for byte', () => {
    expect(JSON.parse(JSON.stringify(makeP2pVectors()))).toEqual(vectors);
  });

  it('open with fresh shares: the session key depends only on the code and the shares', () => {
    const { pairing } = vectors;
    // A receiver with its own random scalar still opens nothing sealed under the vectors' key…
    const other = pairingHandshake(pairing.code, 'receiver');
    expect(toBase64Url(other.finish(fromBase64Url(pairing.senderShare)))).not.toBe(
      pairing.sessionKey,
    );
    // …while the recorded key opens every recorded envelope and the offer.
    const key = fromBase64Url(pairing.sessionKey);
    const atReceiver = new SignalSession(key, pairing.roomId, 'receiver');
    const atSender = new SignalSession(key, pairing.roomId, 'sender');
    for (const envelope of pairing.envelopes) {
      const side = envelope.from === 'sender' ? atReceiver : atSender;
      expect(side.open(decodeEnvelope(envelope.text))).toEqual(envelope.message);
    }
    expect(openOffer(key, pairing.roomId, fromBase64Url(pairing.sealedOffer))).toEqual(
      pairing.offer,
    );
  });

  it('derive link rooms from the link key', () => {
    const { link } = vectors;
    const room = linkRoom(link.linkKey);
    expect(room.roomId).toBe(link.roomId);
    expect(toBase64Url(room.signalingKey)).toBe(link.signalingKey);
    const fresh = linkHandshake(room.roomId, room.signalingKey, 'sender');
    expect(toBase64Url(fresh.finish(fromBase64Url(link.receiverNonce)))).not.toBe(link.sessionKey);
  });

  it('keep a link room apart from the key that wraps the node key (§13.7)', () => {
    const { link } = vectors;
    const values = [link.roomId, link.signalingKey, link.wrapKey];
    expect(new Set(values).size).toBe(3);
  });

  it('introduce link peers in the order of §13.7, and only that pair', () => {
    const { link } = vectors;
    const shares = [link.shares.receiver, link.shares.sender].map((text) => decodeEnvelope(text));
    expect(shares.map((e) => e.kind === 'share' && toBase64Url(e.share))).toEqual([
      link.receiverNonce,
      link.senderNonce,
    ]);
    const key = fromBase64Url(link.sessionKey);
    const sender = new SignalSession(key, link.roomId, 'sender');
    const receiver = new SignalSession(key, link.roomId, 'receiver');
    for (const envelope of link.envelopes) {
      const reader = envelope.from === 'sender' ? receiver : sender;
      expect(reader.open(decodeEnvelope(envelope.text))).toEqual(envelope.message);
    }
    const fresh = new SignalSession(key, link.roomId, 'sender');
    expect(() => fresh.open(decodeEnvelope(link.otherPairConfirm))).toThrow(IntegrityError);
  });

  it('read pairing codes loosely and refuse malformed ones', () => {
    for (const { input, canonical } of vectors.codes) {
      if (canonical === null) expect(() => parsePairingCode(input)).toThrow();
      else expect(parsePairingCode(input)).toBe(canonical);
    }
  });

  it.each(vectors.failures)('refuses $name', ({ to, before, text }) => {
    const { pairing } = vectors;
    const session = new SignalSession(fromBase64Url(pairing.sessionKey), pairing.roomId, to);
    const from = to === 'sender' ? 'receiver' : 'sender';
    // Bring the session to the expected counter with the recorded envelopes first.
    pairing.envelopes
      .filter((e) => e.from === from)
      .slice(0, before)
      .forEach((e) => session.open(decodeEnvelope(e.text)));
    expect(() => session.open(decodeEnvelope(text))).toThrow(IntegrityError);
  });
});
