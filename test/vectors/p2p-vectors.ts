// The P2P vectors (format.md §13): made by p2p-generate.ts, checked by p2p.test.ts. Both build
// them with `makeP2pVectors`, so the test proves the code still gives every byte of p2p.json.
import { decodeLinkKey, toBase64Url } from '@coffre/core/format';
import { withDeterministicRandom } from '@coffre/core/crypto/internal/deterministic';
import { linkWrapKey } from '@coffre/core/crypto/internal/link-keys';
import { linkRoom, newPairingCode, pairingRoomId } from '@coffre/core/crypto/internal/pairing';
import {
  cpaceGenerator,
  linkHandshake,
  pairingHandshake,
  type PeerRole,
} from '@coffre/core/crypto/internal/pake';
import {
  SignalSession,
  encodeShare,
  offerKey,
  sealOffer,
  signalKey,
  type PeerOffer,
  type SignalMessage,
} from '@coffre/core/crypto/internal/peer-signals';
import { sodium } from '@coffre/core/crypto/internal/sodium';

const b64 = toBase64Url;
const utf8 = (text: string) => new TextEncoder().encode(text);
/** Fixed pseudo-random bytes named by a label, as in generate.ts. */
export const fixed = (label: string, length = 32) =>
  sodium().crypto_generichash(length, utf8(`coffre vectors: ${label}`), null);

export interface EnvelopeVector {
  from: PeerRole;
  counter: number;
  message: SignalMessage;
  text: string;
}

export interface P2pVectors {
  pairing: {
    seeds: { code: string; sender: string; receiver: string; envelopes: string };
    code: string;
    roomId: string;
    generator: string;
    senderShare: string;
    receiverShare: string;
    sessionKey: string;
    signalKey: string;
    offerKey: string;
    envelopes: EnvelopeVector[];
    offer: PeerOffer;
    sealedOffer: string;
  };
  link: {
    linkKey: string;
    roomId: string;
    signalingKey: string;
    seeds: { sender: string; receiver: string; envelopes: string };
    senderNonce: string;
    receiverNonce: string;
    sessionKey: string;
    /** K of §11.3 for this link key without a password: unrelated to the room id and key. */
    wrapKey: string;
    /** §13.7's order: the receiver's nonce, then the sender's nonce and confirmation, then the
     * receiver's confirmation. */
    shares: { receiver: string; sender: string };
    envelopes: EnvelopeVector[];
    /** The receiver's confirmation under another pair's session key: the sender refuses it. */
    otherPairConfirm: string;
  };
  codes: { input: string; canonical: string | null }[];
  failures: { name: string; to: PeerRole; before: number; text: string }[];
}

export function makeP2pVectors(): P2pVectors {
  const seeds = {
    code: b64(fixed('p2p code seed')),
    sender: b64(fixed('p2p sender seed')),
    receiver: b64(fixed('p2p receiver seed')),
    envelopes: b64(fixed('p2p envelope seed')),
  };
  const seeded = <T>(seed: string, run: () => T) =>
    withDeterministicRandom(
      sodium().from_base64(seed, sodium().base64_variants.URLSAFE_NO_PADDING),
      run,
    );
  const code = seeded(seeds.code, newPairingCode);
  const roomId = pairingRoomId(code);
  const sender = seeded(seeds.sender, () => pairingHandshake(code, 'sender'));
  const receiver = seeded(seeds.receiver, () => pairingHandshake(code, 'receiver'));
  const sessionKey = sender.finish(receiver.share);

  const offer: PeerOffer = {
    v: 1,
    nodeId: b64(fixed('p2p node', 16)),
    revision: 2,
    name: 'holiday.jpg',
    mime: 'image/jpeg',
    size: 5,
    manifest: b64(fixed('p2p manifest stand-in', 64)),
    contentKey: b64(fixed('p2p content key')),
  };
  const { envelopes, sealedOffer, failures } = seeded(seeds.envelopes, () => {
    const tx = new SignalSession(sessionKey, roomId, 'sender');
    const rx = new SignalSession(sessionKey, roomId, 'receiver');
    const signal: SignalMessage = { t: 'signal', data: { type: 'offer', sdp: 'v=0\r\n' } };
    const list: EnvelopeVector[] = [
      { from: 'sender', counter: 0, message: { t: 'confirm' }, text: tx.seal({ t: 'confirm' }) },
      { from: 'receiver', counter: 0, message: { t: 'confirm' }, text: rx.seal({ t: 'confirm' }) },
      { from: 'sender', counter: 1, message: signal, text: tx.seal(signal) },
    ];
    const wrong = pairingHandshake(code.replace(/-[a-z]+$/, '-acorn'), 'receiver');
    const wrongKey = wrong.finish(sender.share);
    const bad: P2pVectors['failures'] = [
      {
        name: 'confirmation under a wrong code',
        to: 'sender',
        before: 0,
        text: new SignalSession(wrongKey, roomId, 'receiver').seal({ t: 'confirm' }),
      },
      { name: 'replayed confirmation', to: 'receiver', before: 1, text: list[0]!.text },
      { name: 'signal before the confirmation', to: 'receiver', before: 0, text: list[2]!.text },
      { name: 'reflected to its author', to: 'sender', before: 0, text: list[0]!.text },
    ];
    return {
      envelopes: list,
      sealedOffer: b64(sealOffer(sessionKey, roomId, offer)),
      failures: bad,
    };
  });

  const linkKey = b64(fixed('p2p link key'));
  const link = linkRoom(linkKey);
  const linkSeeds = {
    sender: b64(fixed('p2p link sender')),
    receiver: b64(fixed('p2p link receiver')),
    envelopes: b64(fixed('p2p link envelopes')),
  };
  const ls = seeded(linkSeeds.sender, () =>
    linkHandshake(link.roomId, link.signalingKey, 'sender'),
  );
  const lr = seeded(linkSeeds.receiver, () =>
    linkHandshake(link.roomId, link.signalingKey, 'receiver'),
  );
  const linkSession = ls.finish(lr.share);
  const linkEnvelopes = seeded(linkSeeds.envelopes, () => {
    const tx = new SignalSession(linkSession, link.roomId, 'sender');
    const rx = new SignalSession(linkSession, link.roomId, 'receiver');
    const confirm: SignalMessage = { t: 'confirm' };
    const list: EnvelopeVector[] = [
      { from: 'sender', counter: 0, message: confirm, text: tx.seal(confirm) },
      { from: 'receiver', counter: 0, message: confirm, text: rx.seal(confirm) },
    ];
    const otherPair = linkHandshake(link.roomId, link.signalingKey, 'receiver');
    const otherKey = ls.finish(otherPair.share);
    const otherPairConfirm = new SignalSession(otherKey, link.roomId, 'receiver').seal(confirm);
    return { list, otherPairConfirm };
  });

  return {
    pairing: {
      seeds,
      code,
      roomId,
      generator: b64(cpaceGenerator(roomId, code)),
      senderShare: b64(sender.share),
      receiverShare: b64(receiver.share),
      sessionKey: b64(sessionKey),
      signalKey: b64(signalKey(sessionKey)),
      offerKey: b64(offerKey(sessionKey)),
      envelopes,
      offer,
      sealedOffer,
    },
    link: {
      linkKey,
      roomId: link.roomId,
      signalingKey: b64(link.signalingKey),
      seeds: linkSeeds,
      senderNonce: b64(ls.share),
      receiverNonce: b64(lr.share),
      sessionKey: b64(linkSession),
      wrapKey: b64(linkWrapKey(decodeLinkKey(linkKey))),
      shares: { receiver: encodeShare(lr.share), sender: encodeShare(ls.share) },
      envelopes: linkEnvelopes.list,
      otherPairConfirm: linkEnvelopes.otherPairConfirm,
    },
    codes: [
      { input: ' 0042 Acorn  zipper-ZEBRA ', canonical: '0042-acorn-zipper-zebra' },
      { input: '0042-acorn-zipper', canonical: null },
      { input: '42-acorn-zipper-zebra', canonical: null },
      { input: '0042-acorn-zipper-zebras', canonical: null },
      { input: '0042_acorn_zipper_zebra', canonical: null },
    ],
    failures,
  };
}
