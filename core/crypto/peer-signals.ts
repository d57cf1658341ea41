import {
  FormatError,
  MAX_FILE_SIZE,
  MAX_MIME_LENGTH,
  MAX_SEALED_OFFER,
  MAX_SIGNAL_PLAINTEXT,
  MAX_SIGNAL_TEXT,
  SEALED_OVERHEAD,
  SIGNAL_COUNTER_BYTES,
  associatedData,
  fromBase64Url,
  isId,
  toBase64Url,
} from '../format';
import { IntegrityError } from './errors';
import { type PeerRole, ROOM_ID, SHARE_BYTES } from './pake';
import { KDF_CONTEXT, KEY_BYTES, assertKey, deriveSubkey } from './primitives';
import { open, seal } from './sealed';
import { validateName } from './nodes';

// The sealed signal envelope and the sealed offer of format.md §13.5–13.6. Every signal after the
// shares is sealed under the session key with an AD naming the room, both roles and a per-direction
// counter, so a relay that alters, replays, reorders or redirects one is caught.

const KIND_SHARE = 0x01;
const KIND_SEALED = 0x02;
/** Kind byte and counter: the sealed blob starts after them. */
const SEALED_START = 1 + SIGNAL_COUNTER_BYTES;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

const other = (role: PeerRole): PeerRole => (role === 'sender' ? 'receiver' : 'sender');

export const signalKey = (sessionKey: Uint8Array) =>
  deriveSubkey(sessionKey, KDF_CONTEXT.peerSession, 1);
export const offerKey = (sessionKey: Uint8Array) =>
  deriveSubkey(sessionKey, KDF_CONTEXT.peerSession, 2);

/** What a sealed signal carries: the key confirmation first, then WebRTC's own signals. */
export type SignalMessage = { t: 'confirm' } | { t: 'signal'; data: Record<string, unknown> };

export type Envelope =
  { kind: 'share'; share: Uint8Array } | { kind: 'sealed'; counter: number; blob: Uint8Array };

export function encodeShare(share: Uint8Array): string {
  if (share.length !== SHARE_BYTES) throw new FormatError('a share is 32 bytes');
  const out = new Uint8Array(1 + SHARE_BYTES);
  out[0] = KIND_SHARE;
  out.set(share, 1);
  return toBase64Url(out);
}

/** Decodes the outer layer of a relayed `data` string; anything malformed is IntegrityError. */
export function decodeEnvelope(text: unknown): Envelope {
  if (typeof text !== 'string' || text.length > MAX_SIGNAL_TEXT) throw new IntegrityError();
  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(text);
  } catch {
    throw new IntegrityError();
  }
  if (bytes[0] === KIND_SHARE && bytes.length === 1 + SHARE_BYTES) {
    return { kind: 'share', share: bytes.slice(1) };
  }
  if (bytes[0] === KIND_SEALED && bytes.length >= SEALED_START + SEALED_OVERHEAD) {
    const counter = new DataView(bytes.buffer, bytes.byteOffset).getUint32(1);
    return { kind: 'sealed', counter, blob: bytes.subarray(SEALED_START) };
  }
  throw new IntegrityError();
}

function parseMessage(plaintext: Uint8Array, counter: number): SignalMessage {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(plaintext));
  } catch {
    throw new IntegrityError();
  }
  if (typeof value !== 'object' || value === null) throw new IntegrityError();
  const keys = Object.keys(value);
  const { t, data } = value as Record<string, unknown>;
  if (counter === 0) {
    if (t !== 'confirm' || keys.length !== 1) throw new IntegrityError();
    return { t };
  }
  if (t !== 'signal' || keys.length !== 2 || typeof data !== 'object' || data === null) {
    throw new IntegrityError();
  }
  if (Array.isArray(data)) throw new IntegrityError();
  return { t, data: data as Record<string, unknown> };
}

/**
 * Seals and opens the signals of one pair of peers. Each direction has its own counter from 0;
 * the reader takes only the next one, so nothing can be replayed, reordered or skipped.
 */
export class SignalSession {
  readonly #key: Uint8Array;
  readonly #roomId: string;
  readonly #role: PeerRole;
  #sent = 0;
  #received = 0;

  constructor(sessionKey: Uint8Array, roomId: string, role: PeerRole) {
    assertKey(sessionKey, 'session key');
    if (!ROOM_ID.test(roomId)) throw new FormatError('a room id is 43 base64url characters');
    this.#key = signalKey(sessionKey);
    this.#roomId = roomId;
    this.#role = role;
  }

  #ad(from: PeerRole, counter: number): Uint8Array {
    return associatedData('p2p-signal', this.#roomId, from, other(from), counter);
  }

  /** Counter 0 must be the confirmation; every later message a WebRTC signal. */
  seal(message: SignalMessage): string {
    const counter = this.#sent;
    if ((counter === 0) !== (message.t === 'confirm')) {
      throw new FormatError('the first sealed signal is the confirmation, and only the first');
    }
    const plaintext = encoder.encode(JSON.stringify(message));
    if (plaintext.length > MAX_SIGNAL_PLAINTEXT) throw new FormatError('signal too large');
    const blob = seal(this.#key, this.#ad(this.#role, counter), plaintext);
    const out = new Uint8Array(SEALED_START + blob.length);
    out[0] = KIND_SEALED;
    new DataView(out.buffer).setUint32(1, counter);
    out.set(blob, SEALED_START);
    this.#sent += 1;
    return toBase64Url(out);
  }

  /** Throws IntegrityError for anything but the peer's next message, intact. */
  open(envelope: Envelope): SignalMessage {
    if (envelope.kind !== 'sealed' || envelope.counter !== this.#received) {
      throw new IntegrityError();
    }
    const plaintext = open(this.#key, this.#ad(other(this.#role), envelope.counter), envelope.blob);
    if (plaintext.length > MAX_SIGNAL_PLAINTEXT) throw new IntegrityError();
    const message = parseMessage(plaintext, envelope.counter);
    this.#received += 1;
    return message;
  }
}

/** What the sender offers on the data channel (§13.6). */
export interface PeerOffer {
  v: 1;
  nodeId: string;
  revision: number;
  name: string;
  mime: string | null;
  size: number;
  /** The sealed manifest, base64url, as the storage server holds it. */
  manifest: string;
  /** The content key (base64url) between paired devices; null in a link room. */
  contentKey: string | null;
}

const OFFER_KEYS = ['v', 'nodeId', 'revision', 'name', 'mime', 'size', 'manifest', 'contentKey'];
const offerAd = (roomId: string) => associatedData('p2p-offer', roomId);

export function sealOffer(sessionKey: Uint8Array, roomId: string, offer: PeerOffer): Uint8Array {
  assertKey(sessionKey, 'session key');
  const ordered = Object.fromEntries(OFFER_KEYS.map((key) => [key, offer[key as keyof PeerOffer]]));
  checkOffer(ordered); // the sender's own mistakes surface here, not at the receiver
  const sealed = seal(
    offerKey(sessionKey),
    offerAd(roomId),
    encoder.encode(JSON.stringify(ordered)),
  );
  if (sealed.length > MAX_SEALED_OFFER) throw new FormatError('the offer is too large');
  return sealed;
}

/** Opens and checks an offer; any fault, in the crypto or in the shape, is IntegrityError. */
export function openOffer(sessionKey: Uint8Array, roomId: string, sealed: Uint8Array): PeerOffer {
  assertKey(sessionKey, 'session key');
  if (sealed.length > MAX_SEALED_OFFER) throw new IntegrityError();
  const plaintext = open(offerKey(sessionKey), offerAd(roomId), sealed);
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(plaintext));
  } catch {
    throw new IntegrityError();
  }
  try {
    return checkOffer(value);
  } catch {
    throw new IntegrityError();
  }
}

function checkOffer(value: unknown): PeerOffer {
  if (typeof value !== 'object' || value === null) throw new FormatError('offer is not an object');
  const keys = Object.keys(value);
  if (keys.length !== OFFER_KEYS.length || keys.some((key, i) => key !== OFFER_KEYS[i])) {
    throw new FormatError('offer keys');
  }
  const offer = value as PeerOffer;
  const isCount = (n: unknown, max: number) =>
    typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= max;
  if (
    offer.v !== 1 ||
    !isId(offer.nodeId) ||
    !isCount(offer.revision, Number.MAX_SAFE_INTEGER) ||
    !isCount(offer.size, MAX_FILE_SIZE) ||
    typeof offer.name !== 'string' ||
    !(
      offer.mime === null ||
      (typeof offer.mime === 'string' && offer.mime.length <= MAX_MIME_LENGTH)
    ) ||
    typeof offer.manifest !== 'string' ||
    !(offer.contentKey === null || fromBase64Url(offer.contentKey).length === KEY_BYTES)
  ) {
    throw new FormatError('offer fields');
  }
  validateName(offer.name);
  return offer;
}
