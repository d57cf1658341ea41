// The limit vectors (format.md §8, §13.5–13.6; protocol.md §5, §6): made by limits-generate.ts,
// checked by limits.test.ts, and read by the signal server's integration test, so the same
// envelopes are refused or relayed on both sides. Every figure is computed here from the specs'
// own arithmetic, apart from core/format/limits.ts, and every edge has a case that is accepted
// and one, a byte or an item more, that is refused.
import { toBase64Url } from '@coffre/core/format';
import { withDeterministicRandom } from '@coffre/core/crypto/internal/deterministic';
import {
  SignalSession,
  sealOffer,
  type PeerOffer,
  type SignalMessage,
} from '@coffre/core/crypto/internal/peer-signals';
import { sodium } from '@coffre/core/crypto/internal/sodium';
import { fixed } from './p2p-vectors';

export type LimitError = 'IntegrityError' | 'FormatError' | 'PeerProtocolError' | 'ProtocolError';

/** Schemas of core/protocol that carry a limit, by export name. */
export type LimitSchema =
  | 'SignalData'
  | 'Email'
  | 'SealedKey'
  | 'SealedMeta'
  | 'LinkWrappedKey'
  | 'LinkOwnerKey'
  | 'IceUrl';

/** A frame's bytes: `head` (hex), then the byte `fill` until the frame is `length` bytes long. */
export interface FrameBytes {
  head: string;
  fill: number;
  length: number;
}

/** What one case does; it must succeed at the limit and throw its error past it. */
export type LimitOp =
  /** Opened by the receiver of `signal`, after the sender's confirmation. */
  | { op: 'openSignal'; text: string }
  /** The envelope's outer layer read, as a reader does before anything else. */
  | { op: 'decodeEnvelope'; text: string }
  /** A signal whose plaintext JSON is exactly this long, sealed after the confirmation. */
  | { op: 'sealSignal'; plaintextBytes: number }
  | { op: 'decodeFrame'; frame: FrameBytes }
  /** A `have` of zeros or a `chunk` of zeros with this many bytes of bitmap or data. */
  | { op: 'encodeFrame'; type: 'have' | 'chunk'; dataBytes: number }
  /** The offer of `offer` with a manifest of this many characters, sealed and opened again. */
  | { op: 'sealOffer'; manifestLength: number; mime: string | null }
  /** As sealOffer, but sealed without the sender's own size check, then opened. */
  | { op: 'openOffer'; manifestLength: number }
  | { op: 'validateName'; text: string }
  /** Node metadata with this mime type, sealed under a fixed key. */
  | { op: 'sealNodeMeta'; mime: string }
  | { op: 'schema'; schema: LimitSchema; value: string };

export interface LimitEdge {
  /** The figure of `figures` this edge is at. */
  limit: string;
  at: { name: string } & LimitOp;
  /** The name says what accepting it would break. */
  over: { name: string; error: LimitError } & LimitOp;
}

export interface LimitVectors {
  /** Each figure as the specs derive it; core/format/limits.ts must export the same. */
  figures: Record<string, number>;
  signal: {
    seed: string;
    sessionKey: string;
    roomId: string;
    /** The sender's counter 0. */
    confirm: string;
    /** Counter 1: the largest signal the sender seals, MAX_SIGNAL_TEXT characters. */
    largest: { message: SignalMessage; text: string };
    /** The largest envelope's bytes and one zero byte more, in base64url. */
    oneByteOver: string;
  };
  /** The fields of the offer the offer cases seal, under the signal's session key and room. */
  offer: Omit<PeerOffer, 'manifest'>;
  edges: LimitEdge[];
}

const b64 = toBase64Url;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** The figures, from the specs' text: format.md §3, §5–§8, §11.9, §13; protocol.md §3, §5, §6. */
function specFigures(): Record<string, number> {
  const sealedOverhead = 1 + 24 + 16;
  const envelope = 1 + 4 + sealedOverhead + 4096;
  const frame = 16_384;
  return {
    SEALED_OVERHEAD: sealedOverhead,
    MAX_SEALED_KEY: 256,
    MAX_SEALED_META: 4096,
    MAX_NAME_BYTES: 255,
    MAX_MIME_LENGTH: 255,
    MAX_FILE_SIZE: 2 ** 50,
    CHUNK_SIZE: 4_194_304,
    CHUNK_OVERHEAD: sealedOverhead,
    MAX_CHUNK_CIPHER_SIZE: 4_194_345,
    MAX_CHUNKS: 2 ** 28,
    MAX_SEALED_MANIFEST: 2 ** 28 * 64 + 4096,
    LINK_WRAPPED_KEY_BYTES: 105,
    LINK_OWNER_KEY_BYTES: 73,
    MAX_LIST_NODES: 100_000,
    MAX_EMAIL_LENGTH: 254,
    MAX_SIGNAL_PLAINTEXT: 4096,
    MAX_SIGNAL_ENVELOPE_BYTES: envelope,
    MAX_SIGNAL_TEXT: Buffer.alloc(envelope).toString('base64url').length,
    MIN_SIGNAL_FRAME_BYTES: 6 * 1024,
    ID_BYTES: 16,
    MAX_ROOM_SIZE: 64,
    DEFAULT_ROOM_SIZE: 8,
    DEFAULT_ROOMS_PER_SOCKET: 4,
    MAX_ICE_URL_LENGTH: 512,
    MAX_ICE_URLS: 16,
    MAX_FRAME_BYTES: frame,
    FRAME_DATA_BYTES: frame - 9,
    MAX_HAVE_BITMAP_BYTES: frame - 9,
    MAX_REQUEST_INDEXES: 64,
    MAX_ERROR_MESSAGE_BYTES: 256,
    MAX_SEALED_OFFER: 2 ** 18 * 64 + 8 * 1024,
    LINK_DUE_PER_PEER: 2,
    LINK_QUEUED_INDEXES: 4,
  };
}

/** A WebRTC signal whose sealed plaintext (its JSON) is exactly `bytes` bytes. */
export function signalOfBytes(bytes: number): SignalMessage {
  const shell = JSON.stringify({ t: 'signal', data: { candidate: '' } }).length;
  return { t: 'signal', data: { candidate: 'a'.repeat(bytes - shell) } };
}

/** A base64url text of `bytes` pseudo-random bytes named by a label. */
const textOf = (label: string, bytes: number) =>
  b64(sodium().randombytes_buf_deterministic(bytes, fixed(label)));

/** A frame head: the type byte and 4-byte big-endian fields. */
function head(type: number, ...fields: number[]): string {
  const out = Buffer.alloc(1 + 4 * fields.length);
  out[0] = type;
  fields.forEach((field, i) => out.writeUInt32BE(field, 1 + 4 * i));
  return out.toString('hex');
}

export function makeLimitVectors(): LimitVectors {
  const figures = specFigures();
  const f = (name: string) => figures[name]!;
  const sessionKey = fixed('limits session key');
  const roomId = b64(fixed('limits room'));
  const seed = b64(fixed('limits seed'));
  const largestMessage = signalOfBytes(f('MAX_SIGNAL_PLAINTEXT'));
  const [confirm, largest] = withDeterministicRandom(fixed('limits seed'), () => {
    const sender = new SignalSession(sessionKey, roomId, 'sender');
    return [sender.seal({ t: 'confirm' }), sender.seal(largestMessage)];
  });
  const oneByteOver = Buffer.concat([Buffer.from(largest, 'base64url'), Buffer.of(0)]).toString(
    'base64url',
  );

  const offer: Omit<PeerOffer, 'manifest'> = {
    v: 1,
    nodeId: b64(fixed('limits node', 16)),
    revision: 1,
    name: 'largest.bin',
    mime: null,
    size: 2 ** 40,
    contentKey: null,
  };
  // Everything of a sealed offer but its manifest's characters, measured on an empty one.
  const offerShell = sealOffer(sessionKey, roomId, { ...offer, manifest: '' }).length;
  const largestManifest = f('MAX_SEALED_OFFER') - offerShell;

  const have = head(0x06, f('MAX_HAVE_BITMAP_BYTES') * 8, 0);
  const chunk = head(0x04, 0, 0);
  const requestOf = (count: number) => head(0x03, ...Array.from({ length: count }, (_, i) => i));
  const whole = (hexText: string) => ({ head: hexText, fill: 0, length: hexText.length / 2 });
  const frame = f('MAX_FRAME_BYTES');
  const nodeId = fixed('limits want', f('ID_BYTES'));
  // Type, node id, revision 1, count 1, then `extra` bytes more.
  const want = (extra: number) =>
    whole(hex(Uint8Array.of(0x09, ...nodeId, 0, 0, 0, 1, 0, 0, 0, 1, ...new Uint8Array(extra))));

  const edges: LimitEdge[] = [
    {
      limit: 'MAX_SIGNAL_TEXT',
      at: { name: 'the largest envelope a client seals', op: 'openSignal', text: largest },
      over: {
        name: 'an envelope one byte longer: the relay refuses it, so it could never arrive',
        error: 'IntegrityError',
        op: 'decodeEnvelope',
        text: oneByteOver,
      },
    },
    {
      limit: 'MAX_SIGNAL_PLAINTEXT',
      at: {
        name: 'a signal of 4,096 bytes of JSON',
        op: 'sealSignal',
        plaintextBytes: f('MAX_SIGNAL_PLAINTEXT'),
      },
      over: {
        name: 'a signal one byte longer: its envelope would be over what the relay carries',
        error: 'FormatError',
        op: 'sealSignal',
        plaintextBytes: f('MAX_SIGNAL_PLAINTEXT') + 1,
      },
    },
    {
      limit: 'MAX_SIGNAL_TEXT',
      at: {
        name: 'the relay takes the largest envelope',
        op: 'schema',
        schema: 'SignalData',
        value: largest,
      },
      over: {
        name: 'the relay takes an envelope one byte longer than any client seals',
        error: 'ProtocolError',
        op: 'schema',
        schema: 'SignalData',
        value: oneByteOver,
      },
    },
    {
      limit: 'MAX_HAVE_BITMAP_BYTES',
      at: {
        name: 'a have frame of 16,375 bitmap bytes',
        op: 'decodeFrame',
        frame: { head: have, fill: 0xff, length: frame },
      },
      over: {
        name: 'a have frame one byte longer: over the message size browsers deliver intact',
        error: 'PeerProtocolError',
        op: 'decodeFrame',
        frame: { head: have, fill: 0xff, length: frame + 1 },
      },
    },
    {
      limit: 'MAX_HAVE_BITMAP_BYTES',
      at: {
        name: 'a have frame of 16,375 bitmap bytes is sent',
        op: 'encodeFrame',
        type: 'have',
        dataBytes: f('MAX_HAVE_BITMAP_BYTES'),
      },
      over: {
        name: 'a have frame one byte longer is sent: the peer would refuse it',
        error: 'PeerProtocolError',
        op: 'encodeFrame',
        type: 'have',
        dataBytes: f('MAX_HAVE_BITMAP_BYTES') + 1,
      },
    },
    {
      limit: 'FRAME_DATA_BYTES',
      at: {
        name: 'a chunk frame of 16,375 data bytes',
        op: 'decodeFrame',
        frame: { head: chunk, fill: 0x2a, length: frame },
      },
      over: {
        name: 'a chunk frame one byte longer: over the message size browsers deliver intact',
        error: 'PeerProtocolError',
        op: 'decodeFrame',
        frame: { head: chunk, fill: 0x2a, length: frame + 1 },
      },
    },
    {
      limit: 'FRAME_DATA_BYTES',
      at: {
        name: 'a chunk frame of 16,375 data bytes is sent',
        op: 'encodeFrame',
        type: 'chunk',
        dataBytes: f('FRAME_DATA_BYTES'),
      },
      over: {
        name: 'a chunk frame one byte longer is sent: the peer would refuse it',
        error: 'PeerProtocolError',
        op: 'encodeFrame',
        type: 'chunk',
        dataBytes: f('FRAME_DATA_BYTES') + 1,
      },
    },
    {
      limit: 'MAX_REQUEST_INDEXES',
      at: {
        name: 'a request for 64 chunks',
        op: 'decodeFrame',
        frame: whole(requestOf(f('MAX_REQUEST_INDEXES'))),
      },
      over: {
        name: 'a request for 65 chunks: more than a sender queues from one frame',
        error: 'PeerProtocolError',
        op: 'decodeFrame',
        frame: whole(requestOf(f('MAX_REQUEST_INDEXES') + 1)),
      },
    },
    {
      limit: 'MAX_ERROR_MESSAGE_BYTES',
      at: {
        name: 'an error frame with a message of 256 bytes',
        op: 'decodeFrame',
        frame: { head: '0801', fill: 0x61, length: 2 + f('MAX_ERROR_MESSAGE_BYTES') },
      },
      over: {
        name: 'an error frame with a message of 257 bytes: an unbounded text for the log',
        error: 'PeerProtocolError',
        op: 'decodeFrame',
        frame: { head: '0801', fill: 0x61, length: 3 + f('MAX_ERROR_MESSAGE_BYTES') },
      },
    },
    {
      limit: 'ID_BYTES',
      at: { name: 'a want frame naming a 16-byte node id', op: 'decodeFrame', frame: want(0) },
      over: {
        name: 'a want frame one byte longer: a node id is 16 bytes (format.md §1)',
        error: 'PeerProtocolError',
        op: 'decodeFrame',
        frame: want(1),
      },
    },
    {
      limit: 'MAX_SEALED_OFFER',
      at: {
        name: 'the largest offer a sender seals opens',
        op: 'sealOffer',
        manifestLength: largestManifest,
        mime: null,
      },
      over: {
        name: 'an offer one byte larger: the receiver would refuse its total',
        error: 'FormatError',
        op: 'sealOffer',
        manifestLength: largestManifest + 1,
        mime: null,
      },
    },
    {
      limit: 'MAX_SEALED_OFFER',
      at: {
        name: 'the largest offer a sender seals opens',
        op: 'sealOffer',
        manifestLength: largestManifest,
        mime: null,
      },
      over: {
        name: 'a sealed offer one byte larger is opened: a receiver allocates past the bound',
        error: 'IntegrityError',
        op: 'openOffer',
        manifestLength: largestManifest + 1,
      },
    },
    {
      limit: 'MAX_MIME_LENGTH',
      at: {
        name: 'an offer with a mime type of 255 characters',
        op: 'sealOffer',
        manifestLength: 64,
        mime: 'a'.repeat(f('MAX_MIME_LENGTH')),
      },
      over: {
        name: 'an offer with a mime type of 256 characters: node metadata would refuse it',
        error: 'FormatError',
        op: 'sealOffer',
        manifestLength: 64,
        mime: 'a'.repeat(f('MAX_MIME_LENGTH') + 1),
      },
    },
    {
      limit: 'MAX_MIME_LENGTH',
      at: {
        name: 'node metadata with a mime type of 255 characters',
        op: 'sealNodeMeta',
        mime: 'a'.repeat(f('MAX_MIME_LENGTH')),
      },
      over: {
        name: 'node metadata with a mime type of 256 characters: a reader would refuse it',
        error: 'FormatError',
        op: 'sealNodeMeta',
        mime: 'a'.repeat(f('MAX_MIME_LENGTH') + 1),
      },
    },
    {
      limit: 'MAX_NAME_BYTES',
      at: {
        name: 'a name of 255 UTF-8 bytes',
        op: 'validateName',
        text: `${'é'.repeat(127)}a`,
      },
      over: {
        name: 'a name of 256 UTF-8 bytes: longer than file systems keep',
        error: 'FormatError',
        op: 'validateName',
        text: 'é'.repeat(128),
      },
    },
    {
      limit: 'MAX_EMAIL_LENGTH',
      at: {
        name: 'an email address of 254 characters',
        op: 'schema',
        schema: 'Email',
        value: `${'a'.repeat(f('MAX_EMAIL_LENGTH') - 12)}@example.org`,
      },
      over: {
        name: 'an email address of 255 characters: no mail server delivers to it',
        error: 'ProtocolError',
        op: 'schema',
        schema: 'Email',
        value: `${'a'.repeat(f('MAX_EMAIL_LENGTH') - 11)}@example.org`,
      },
    },
    {
      limit: 'MAX_ICE_URL_LENGTH',
      at: {
        name: 'a STUN URL of 512 characters',
        op: 'schema',
        schema: 'IceUrl',
        value: `stun:${'a'.repeat(f('MAX_ICE_URL_LENGTH') - 5)}`,
      },
      over: {
        name: 'a STUN URL of 513 characters: the app would refuse the whole ICE server list',
        error: 'ProtocolError',
        op: 'schema',
        schema: 'IceUrl',
        value: `stun:${'a'.repeat(f('MAX_ICE_URL_LENGTH') - 4)}`,
      },
    },
    {
      limit: 'MAX_SEALED_KEY',
      at: {
        name: 'a wrapped key of 256 bytes',
        op: 'schema',
        schema: 'SealedKey',
        value: textOf('limits sealed key', f('MAX_SEALED_KEY')),
      },
      over: {
        name: 'a wrapped key of 257 bytes: an unbounded blob in a key bundle',
        error: 'ProtocolError',
        op: 'schema',
        schema: 'SealedKey',
        value: textOf('limits sealed key', f('MAX_SEALED_KEY') + 1),
      },
    },
    {
      limit: 'MAX_SEALED_META',
      at: {
        name: 'sealed metadata of 4,096 bytes',
        op: 'schema',
        schema: 'SealedMeta',
        value: textOf('limits sealed meta', f('MAX_SEALED_META')),
      },
      over: {
        name: 'sealed metadata of 4,097 bytes: more than a reader opens',
        error: 'ProtocolError',
        op: 'schema',
        schema: 'SealedMeta',
        value: textOf('limits sealed meta', f('MAX_SEALED_META') + 1),
      },
    },
    {
      limit: 'LINK_WRAPPED_KEY_BYTES',
      at: {
        name: 'a link wrapped key of 105 bytes',
        op: 'schema',
        schema: 'LinkWrappedKey',
        value: textOf('limits link key', f('LINK_WRAPPED_KEY_BYTES')),
      },
      over: {
        name: 'a link wrapped key of 106 bytes: not the node key and the signing key',
        error: 'ProtocolError',
        op: 'schema',
        schema: 'LinkWrappedKey',
        value: textOf('limits link key', f('LINK_WRAPPED_KEY_BYTES') + 1),
      },
    },
    {
      limit: 'LINK_OWNER_KEY_BYTES',
      at: {
        name: "a link owner's copy of 73 bytes",
        op: 'schema',
        schema: 'LinkOwnerKey',
        value: textOf('limits owner key', f('LINK_OWNER_KEY_BYTES')),
      },
      over: {
        name: "a link owner's copy of 74 bytes: not one link key",
        error: 'ProtocolError',
        op: 'schema',
        schema: 'LinkOwnerKey',
        value: textOf('limits owner key', f('LINK_OWNER_KEY_BYTES') + 1),
      },
    },
  ];

  return {
    figures,
    signal: {
      seed,
      sessionKey: b64(sessionKey),
      roomId,
      confirm,
      largest: { message: largestMessage, text: largest },
      oneByteOver,
    },
    offer,
    edges,
  };
}
