import type { Server, Socket } from 'socket.io';
import type { SignalConfig } from './config';

// Room ids are keyed hashes made by clients (32 bytes, base64url): opaque to this server and
// not enumerable. Peer ids are Socket.IO's own random socket ids.
const ROOM_ID = /^[A-Za-z0-9_-]{43}$/;
const PEER_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_ROOMS_PER_SOCKET = 4;

type Ack = (reply: { ok: true; peers?: string[] } | { ok: false; error: string }) => void;

/**
 * Wires the relay rules onto a Socket.IO server: join rooms by opaque id, relay sealed signals
 * only between members of a shared room, stamp the sender here (never trust a claimed `from`),
 * and cap room size and event rate.
 */
export function attachRelay(io: Server, config: SignalConfig): void {
  io.on('connection', (socket) => {
    const overRate = eventRateLimiter(config.maxEventsPerSecond);
    socket.use((_event, next) => {
      if (overRate()) {
        socket.disconnect(true);
        return;
      }
      next();
    });

    socket.on('join', (roomId: unknown, ack: unknown) => {
      const reply = typeof ack === 'function' ? (ack as Ack) : () => {};
      if (typeof roomId !== 'string' || !ROOM_ID.test(roomId)) {
        return reply({ ok: false, error: 'bad_request' });
      }
      if (socket.rooms.has(roomId)) return reply({ ok: true, peers: peersOf(io, roomId, socket) });
      if (socket.rooms.size - 1 >= MAX_ROOMS_PER_SOCKET)
        return reply({ ok: false, error: 'too_many_rooms' });
      const size = io.sockets.adapter.rooms.get(roomId)?.size ?? 0;
      if (size >= config.maxRoomSize) return reply({ ok: false, error: 'room_full' });
      const peers = peersOf(io, roomId, socket);
      void socket.join(roomId);
      socket.to(roomId).emit('peer-joined', { roomId, peer: socket.id });
      reply({ ok: true, peers });
    });

    socket.on('leave', (roomId: unknown) => {
      if (typeof roomId !== 'string' || !socket.rooms.has(roomId) || roomId === socket.id) return;
      void socket.leave(roomId);
      socket.to(roomId).emit('peer-left', { roomId, peer: socket.id });
    });

    socket.on('signal', (message: unknown, ack: unknown) => {
      const reply = typeof ack === 'function' ? (ack as Ack) : () => {};
      if (!isSignal(message)) return reply({ ok: false, error: 'bad_request' });
      const target = io.sockets.sockets.get(message.to);
      if (!target || !socket.rooms.has(message.roomId) || !target.rooms.has(message.roomId)) {
        return reply({ ok: false, error: 'not_found' });
      }
      target.emit('signal', { roomId: message.roomId, from: socket.id, data: message.data });
      reply({ ok: true });
    });

    socket.on('disconnecting', () => {
      for (const roomId of socket.rooms) {
        if (roomId !== socket.id) socket.to(roomId).emit('peer-left', { roomId, peer: socket.id });
      }
    });
  });
}

function peersOf(io: Server, roomId: string, self: Socket): string[] {
  return [...(io.sockets.adapter.rooms.get(roomId) ?? [])].filter((id) => id !== self.id);
}

interface SignalMessage {
  roomId: string;
  to: string;
  data: string;
}

function isSignal(value: unknown): value is SignalMessage {
  if (typeof value !== 'object' || value === null) return false;
  const { roomId, to, data } = value as Record<string, unknown>;
  return (
    typeof roomId === 'string' &&
    ROOM_ID.test(roomId) &&
    typeof to === 'string' &&
    PEER_ID.test(to) &&
    typeof data === 'string'
  );
}

/** A one-second fixed window: cheap, and enough to stop a socket flooding the relay. */
function eventRateLimiter(maxPerSecond: number): () => boolean {
  let windowStart = Date.now();
  let count = 0;
  return () => {
    const now = Date.now();
    if (now - windowStart >= 1000) {
      windowStart = now;
      count = 0;
    }
    count += 1;
    return count > maxPerSecond;
  };
}
