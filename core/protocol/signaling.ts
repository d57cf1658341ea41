import { Type, type Static, type TSchema } from 'typebox';
import {
  CHUNK_ID_PATTERN,
  ID_PATTERN,
  MAX_ICE_URL_LENGTH,
  MAX_ICE_URLS,
  MAX_ROOM_SIZE,
  MAX_SIGNAL_ENVELOPE_BYTES,
} from '../format';
import { Base64Url, Timestamp } from './common';

// The signal server's protocol (protocol.md §5): Socket.IO events and their payloads, and the
// two HTTP routes beside them. The server validates every client payload with these schemas; the
// client validates every server payload with them.

/** Socket.IO's path on the signal server's origin; websocket is the only transport. */
export const SIGNAL_SOCKET_PATH = '/socket.io/';

export const SIGNAL_ROUTES = {
  health: '/health',
  ready: '/ready',
  iceServers: '/ice-servers',
} as const;

/** Events a client emits, each with an acknowledgement. */
export const CLIENT_EVENTS = [
  'join',
  'leave',
  'signal',
] as const satisfies readonly (keyof SignalClientEvents)[];
export type ClientEvent = (typeof CLIENT_EVENTS)[number];

/**
 * A room id: a 32-byte keyed hash the clients derive, in canonical base64url (43 characters, the
 * 2 spare bits zero). The server never learns what it was derived from.
 */
export const RoomId = Type.String({ pattern: CHUNK_ID_PATTERN.source, maxLength: 43 });

/** A peer id: 16 random bytes the server draws for each connection (an id, format.md §1). */
export const PeerId = Type.String({ pattern: ID_PATTERN.source, maxLength: 22 });

/**
 * A sealed signal envelope (format.md §13.5) in base64url, at most the largest one a client
 * seals; the server only relays it.
 */
export const SignalData = Base64Url(1, MAX_SIGNAL_ENVELOPE_BYTES);

export const SIGNAL_ERROR_CODES = [
  'bad_request',
  'unknown_event',
  'not_found',
  'room_full',
  'too_many_rooms',
  'unavailable',
] as const;
export type SignalErrorCode = (typeof SIGNAL_ERROR_CODES)[number];

export const SignalError = Type.Object(
  {
    ok: Type.Literal(false),
    error: Type.Enum([...SIGNAL_ERROR_CODES]),
  },
  { additionalProperties: false },
);
export type SignalError = Static<typeof SignalError>;

const reply = <T extends TSchema>(success: T) => Type.Union([success, SignalError]);

export const JoinRequest = Type.Object({ roomId: RoomId }, { additionalProperties: false });
export type JoinRequest = Static<typeof JoinRequest>;

export const JoinReply = reply(
  Type.Object(
    {
      ok: Type.Literal(true),
      /** The joining socket's own peer id, as the others see it. */
      self: PeerId,
      /** The room's other members, in the order they joined. */
      peers: Type.Array(PeerId, { maxItems: MAX_ROOM_SIZE - 1 }),
    },
    { additionalProperties: false },
  ),
);
export type JoinReply = Static<typeof JoinReply>;

export const LeaveRequest = Type.Object({ roomId: RoomId }, { additionalProperties: false });
export type LeaveRequest = Static<typeof LeaveRequest>;

const Ok = Type.Object({ ok: Type.Literal(true) }, { additionalProperties: false });

export const LeaveReply = reply(Ok);
export type LeaveReply = Static<typeof LeaveReply>;

export const SignalRequest = Type.Object(
  {
    roomId: RoomId,
    to: PeerId,
    data: SignalData,
    /**
     * Tolerated so a client may send the shape it receives, and never read: the server stamps
     * the sender itself.
     */
    from: Type.Optional(PeerId),
  },
  { additionalProperties: false },
);
export type SignalRequest = Static<typeof SignalRequest>;

export const SignalReply = reply(Ok);
export type SignalReply = Static<typeof SignalReply>;

/** A signal as the recipient gets it; `from` is the sender's peer id, set by the server. */
export const RelayedSignal = Type.Object(
  { roomId: RoomId, from: PeerId, data: SignalData },
  { additionalProperties: false },
);
export type RelayedSignal = Static<typeof RelayedSignal>;

/** `peer-joined` and `peer-left`. */
export const PeerEvent = Type.Object(
  { roomId: RoomId, peer: PeerId },
  { additionalProperties: false },
);
export type PeerEvent = Static<typeof PeerEvent>;

export const CLOSING_REASONS = ['shutdown', 'rate_limited', 'idle'] as const;

/** Sent just before the server disconnects a socket, so the client knows why. */
export const Closing = Type.Object(
  { reason: Type.Enum([...CLOSING_REASONS]) },
  { additionalProperties: false },
);
export type Closing = Static<typeof Closing>;

/** A STUN or TURN URI as RTCIceServer takes it. */
export const IceUrl = Type.String({
  pattern: '^(stun|stuns|turn|turns):[^\\s]+$',
  maxLength: MAX_ICE_URL_LENGTH,
});

export const IceServer = Type.Object(
  {
    urls: Type.Array(IceUrl, { minItems: 1, maxItems: MAX_ICE_URLS }),
    /** TURN only: `<expiry>:<random>`, expiry in Unix seconds. */
    username: Type.Optional(Type.String({ pattern: '^[0-9]{1,12}:[A-Za-z0-9_-]{1,64}$' })),
    /** TURN only: base64 of HMAC-SHA1(secret, username). */
    credential: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9+/]{27}=$' })),
  },
  { additionalProperties: false },
);
export type IceServer = Static<typeof IceServer>;

export const IceServersResponse = Type.Object(
  {
    iceServers: Type.Array(IceServer, { maxItems: 4 }),
    /** When the TURN credential stops working (ms since the epoch); null without TURN. */
    expiresAt: Type.Union([Timestamp, Type.Null()]),
  },
  { additionalProperties: false },
);
export type IceServersResponse = Static<typeof IceServersResponse>;

export const ReadyResponse = Type.Object({ ready: Type.Boolean() });
export type ReadyResponse = Static<typeof ReadyResponse>;

/** The events a client emits, with their acks: Socket.IO's typed-events map for the client. */
export interface SignalClientEvents {
  join: (request: JoinRequest, ack: (reply: JoinReply) => void) => void;
  leave: (request: LeaveRequest, ack: (reply: LeaveReply) => void) => void;
  signal: (request: SignalRequest, ack: (reply: SignalReply) => void) => void;
}

/** The events the server emits: Socket.IO's typed-events map on both sides. */
export interface SignalServerEvents {
  'peer-joined': (event: PeerEvent) => void;
  'peer-left': (event: PeerEvent) => void;
  signal: (message: RelayedSignal) => void;
  closing: (closing: Closing) => void;
}
