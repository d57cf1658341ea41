import { randomBytes } from 'node:crypto';
import type { Server, Socket as IoSocket } from 'socket.io';
import { ID_BYTES } from '@coffre/core/format';
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
} from '@coffre/core/protocol';
import type { SignalConfig } from './config';
import type { SignalMetrics } from './metrics';

type RelayConfig = Pick<SignalConfig, 'maxRoomSize' | 'maxRoomsPerSocket' | 'idleTimeoutMs'>;

export interface PeerData {
  peerId: string;
  /**
   * The rooms this socket joined, each with when, so members are listed oldest first whichever
   * process they are on. A plain object: other processes read it through the adapter.
   */
  joined: Record<string, number>;
}

/** What arrives from a client is unknown until its schema says otherwise. */
export type IncomingEvents = Record<ClientEvent, (...args: unknown[]) => void>;
export type SignalIo = Server<IncomingEvents, SignalServerEvents, Record<string, never>, PeerData>;
export type SignalSocket = IoSocket<
  IncomingEvents,
  SignalServerEvents,
  Record<string, never>,
  PeerData
>;

type Ack<T> = (reply: T) => void;

const isClientEvent = (event: string): event is ClientEvent =>
  (CLIENT_EVENTS as readonly string[]).includes(event);

/**
 * A member's own Socket.IO room within a room: a signal goes there, so it reaches the peer on
 * whichever process holds its connection, and only while it is a member. `/` is not in a room or
 * peer id, so these never collide with a room id.
 */
const memberRoom = (roomId: string, peerId: string) => `${roomId}/${peerId}`;

/** How long a join or a signal waits for the other processes (through Redis) to answer. */
const CLUSTER_ANSWER_MS = 3000;

function withinDeadline<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error('the other processes did not answer')),
      CLUSTER_ANSWER_MS,
    );
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

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
export function dismiss(socket: SignalSocket, reason: Closing['reason']): void {
  socket.emit('closing', { reason });
  socket.disconnect(true);
}

/**
 * The relay rules (protocol.md §5.3): rooms by opaque id, signals only between members of a
 * shared room, the sender stamped here from the connection (never from the message), and the
 * per-socket caps (the rate is the connection's: connection-guard.ts). Every payload is checked
 * against its core/protocol schema first.
 */
export function attachRelay(io: SignalIo, config: RelayConfig, metrics: SignalMetrics): void {
  const refuse = (error: SignalErrorCode): SignalError => {
    metrics.refusal(error);
    return { ok: false, error };
  };
  const drop = (socket: SignalSocket, reason: Closing['reason']) => {
    metrics.dismissal(reason);
    dismiss(socket, reason);
  };
  /** The members of a room on every process, oldest first. */
  const membersOf = async (roomId: string): Promise<PeerData[]> => {
    const members = await withinDeadline(io.in(roomId).fetchSockets());
    return members
      .map((member) => member.data)
      .sort((a, b) => (a.joined[roomId] ?? 0) - (b.joined[roomId] ?? 0));
  };
  /** Whether `peerId` is in `roomId`: this process first, then the others. */
  const isMember = async (roomId: string, peerId: string): Promise<boolean> => {
    const room = memberRoom(roomId, peerId);
    if (io.sockets.adapter.rooms.get(room)?.size) return true;
    return (await withinDeadline(io.in(room).fetchSockets())).length > 0;
  };

  io.on('connection', (socket) => {
    const self: PeerData = { peerId: randomBytes(ID_BYTES).toString('base64url'), joined: {} };
    socket.data = self;
    const roomCount = () => Object.keys(self.joined).length;

    let idleTimer: NodeJS.Timeout | undefined;
    const watchIdle = () => {
      clearTimeout(idleTimer);
      idleTimer =
        roomCount() === 0
          ? setTimeout(() => drop(socket, 'idle'), config.idleTimeoutMs)
          : undefined;
    };
    watchIdle();

    socket.use(([event, ...args], next) => {
      if (isClientEvent(event)) return next();
      payloadAndAck<SignalError>(args)[1](refuse('unknown_event'));
    });

    const leaveRoom = (roomId: string) => {
      delete self.joined[roomId];
      void socket.leave(roomId);
      void socket.leave(memberRoom(roomId, self.peerId));
      socket.to(roomId).emit('peer-left', { roomId, peer: self.peerId });
    };
    const othersIn = async (roomId: string) =>
      (await membersOf(roomId)).map((member) => member.peerId).filter((id) => id !== self.peerId);

    socket.on('join', async (...args: unknown[]) => {
      const [payload, reply] = payloadAndAck<JoinReply>(args);
      if (!matches(JoinRequest, payload)) return reply(refuse('bad_request'));
      const { roomId } = payload;
      const rejoin = roomId in self.joined;
      if (!rejoin && roomCount() >= config.maxRoomsPerSocket)
        return reply(refuse('too_many_rooms'));
      // Held while the other processes answer, so two joins at once cannot both take the last
      // of this socket's rooms.
      if (!rejoin) self.joined[roomId] = Date.now();
      let peers: string[];
      try {
        peers = await othersIn(roomId);
      } catch {
        if (!rejoin) delete self.joined[roomId];
        return reply(refuse('unavailable'));
      }
      if (rejoin) return reply({ ok: true, self: self.peerId, peers });
      if (peers.length >= config.maxRoomSize || socket.disconnected) {
        delete self.joined[roomId];
        return reply(refuse('room_full'));
      }
      void socket.join([roomId, memberRoom(roomId, self.peerId)]);
      watchIdle();
      socket.to(roomId).emit('peer-joined', { roomId, peer: self.peerId });
      reply({ ok: true, self: self.peerId, peers });
    });

    socket.on('leave', (...args: unknown[]) => {
      const [payload, reply] = payloadAndAck<LeaveReply>(args);
      if (!matches(LeaveRequest, payload)) return reply(refuse('bad_request'));
      if (payload.roomId in self.joined) {
        leaveRoom(payload.roomId);
        watchIdle();
      }
      reply({ ok: true });
    });

    socket.on('signal', async (...args: unknown[]) => {
      const [payload, reply] = payloadAndAck<SignalReply>(args);
      if (!matches(SignalRequest, payload)) return reply(refuse('bad_request'));
      const { roomId, to, data } = payload;
      if (!(roomId in self.joined) || to === self.peerId) return reply(refuse('not_found'));
      try {
        if (!(await isMember(roomId, to))) return reply(refuse('not_found'));
      } catch {
        return reply(refuse('unavailable'));
      }
      // Built afresh: only these three fields reach the recipient, `from` from the connection.
      io.to(memberRoom(roomId, to)).emit('signal', { roomId, from: self.peerId, data });
      metrics.relayed.inc();
      reply({ ok: true });
    });

    socket.on('disconnecting', () => {
      clearTimeout(idleTimer);
      for (const roomId of Object.keys(self.joined)) leaveRoom(roomId);
    });
    socket.on('disconnect', () => clearTimeout(idleTimer));
  });
}
