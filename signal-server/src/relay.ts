import { randomBytes } from 'node:crypto';
import type { Server, Socket as IoSocket } from 'socket.io';
import {
  CLIENT_EVENTS,
  JoinRequest,
  LeaveRequest,
  SignalRequest,
  matches,
  type ClientEvent,
  type Closing,
  type JoinReply,
  type LeaveReply,
  type SignalError,
  type SignalErrorCode,
  type SignalReply,
  type SignalServerEvents,
} from '../../core/protocol';
import type { SignalConfig } from './config';
import { eventRateLimiter } from './rate-limit';

type RelayConfig = Pick<
  SignalConfig,
  'maxRoomSize' | 'maxRoomsPerSocket' | 'maxEventsPerSecond' | 'idleTimeoutMs'
>;

export interface PeerData {
  peerId: string;
  /** The rooms this socket joined (never its own Socket.IO room). */
  rooms: Set<string>;
}

/** What arrives from a client is unknown until its schema says otherwise. */
export type IncomingEvents = Record<ClientEvent, (...args: unknown[]) => void>;
export type SignalIo = Server<IncomingEvents, SignalServerEvents, Record<string, never>, PeerData>;
type Socket = IoSocket<IncomingEvents, SignalServerEvents, Record<string, never>, PeerData>;

type Ack<T> = (reply: T) => void;

const isClientEvent = (event: string): event is ClientEvent =>
  (CLIENT_EVENTS as readonly string[]).includes(event);

const refuse = (error: SignalErrorCode): SignalError => ({ ok: false, error });

/**
 * Splits an event's arguments into its payload and its ack: the ack is the last argument when it
 * is a function, so an event sent with an ack but no payload still gets its answer.
 */
function payloadAndAck<T>(args: unknown[]): [unknown, Ack<T>] {
  const last = args.at(-1);
  if (typeof last !== 'function') return [args[0], () => {}];
  return [args.length > 1 ? args[0] : undefined, last as Ack<T>];
}

/** Tells the socket why, then closes its connection. */
export function dismiss(socket: Socket, reason: Closing['reason']): void {
  socket.emit('closing', { reason });
  socket.disconnect(true);
}

/**
 * The relay rules (protocol.md §5.3): rooms by opaque id, signals only between members of a
 * shared room, the sender stamped here from the connection (never from the message), and the
 * per-socket caps. Every payload is checked against its core/protocol schema first.
 */
export function attachRelay(io: SignalIo, config: RelayConfig): void {
  /** Peer id → socket. Peer ids are ours, not Socket.IO's, so they name nothing else. */
  const peers = new Map<string, Socket>();

  const membersOf = (roomId: string): Socket[] =>
    [...(io.sockets.adapter.rooms.get(roomId) ?? [])].flatMap((sid) => {
      const member = io.sockets.sockets.get(sid);
      return member ? [member] : [];
    });

  io.on('connection', (socket) => {
    const self: PeerData = { peerId: randomBytes(16).toString('base64url'), rooms: new Set() };
    socket.data = self;
    peers.set(self.peerId, socket);

    let idleTimer: NodeJS.Timeout | undefined;
    const watchIdle = () => {
      clearTimeout(idleTimer);
      idleTimer =
        self.rooms.size === 0
          ? setTimeout(() => dismiss(socket, 'idle'), config.idleTimeoutMs)
          : undefined;
    };
    watchIdle();

    // Counted on the connection, before decoding: acks, namespace requests and binary
    // attachments cost the server as much as events do, and none of them reach a middleware.
    const overRate = eventRateLimiter(config.maxEventsPerSecond);
    socket.conn.on('packet', (packet: { type: string }) => {
      if (packet.type === 'message' && overRate()) dismiss(socket, 'rate_limited');
    });
    socket.use(([event, ...args], next) => {
      if (isClientEvent(event)) return next();
      payloadAndAck<SignalError>(args)[1](refuse('unknown_event'));
    });

    const leaveRoom = (roomId: string) => {
      self.rooms.delete(roomId);
      void socket.leave(roomId);
      socket.to(roomId).emit('peer-left', { roomId, peer: self.peerId });
    };

    socket.on('join', (...args: unknown[]) => {
      const [payload, reply] = payloadAndAck<JoinReply>(args);
      if (!matches(JoinRequest, payload)) return reply(refuse('bad_request'));
      const { roomId } = payload;
      const others = () =>
        membersOf(roomId)
          .map((member) => member.data.peerId)
          .filter((id) => id !== self.peerId);
      if (self.rooms.has(roomId)) return reply({ ok: true, self: self.peerId, peers: others() });
      if (self.rooms.size >= config.maxRoomsPerSocket) return reply(refuse('too_many_rooms'));
      if (membersOf(roomId).length >= config.maxRoomSize) return reply(refuse('room_full'));
      const peersBefore = others();
      self.rooms.add(roomId);
      void socket.join(roomId);
      watchIdle();
      socket.to(roomId).emit('peer-joined', { roomId, peer: self.peerId });
      reply({ ok: true, self: self.peerId, peers: peersBefore });
    });

    socket.on('leave', (...args: unknown[]) => {
      const [payload, reply] = payloadAndAck<LeaveReply>(args);
      if (!matches(LeaveRequest, payload)) return reply(refuse('bad_request'));
      if (self.rooms.has(payload.roomId)) {
        leaveRoom(payload.roomId);
        watchIdle();
      }
      reply({ ok: true });
    });

    socket.on('signal', (...args: unknown[]) => {
      const [payload, reply] = payloadAndAck<SignalReply>(args);
      if (!matches(SignalRequest, payload)) return reply(refuse('bad_request'));
      const { roomId, to, data } = payload;
      const target = peers.get(to);
      const member = target !== undefined && target !== socket && target.data.rooms.has(roomId);
      if (!self.rooms.has(roomId) || !member) return reply(refuse('not_found'));
      // Built afresh: only these three fields reach the recipient, `from` from the connection.
      target.emit('signal', { roomId, from: self.peerId, data });
      reply({ ok: true });
    });

    socket.on('disconnecting', () => {
      clearTimeout(idleTimer);
      for (const roomId of [...self.rooms]) leaveRoom(roomId);
    });
    socket.on('disconnect', () => {
      clearTimeout(idleTimer);
      peers.delete(self.peerId);
    });
  });
}
