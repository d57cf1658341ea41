// The signal server as a client sees it (socket.io, websocket only): join opaque rooms, learn who
// is there, pass a string to one peer. Everything relayed is sealed by the layer above
// (introduction.ts); this layer only checks shapes, because the server is not trusted.
import { io, type Socket } from 'socket.io-client';

export interface RelayedSignal {
  roomId: string;
  from: string;
  data: string;
}

type Reply = { ok: true; peers?: unknown } | { ok: false; error?: unknown };

const ACK_TIMEOUT_MS = 10_000;
const isText = (value: unknown): value is string =>
  typeof value === 'string' && value.length <= 8192;

export class SignalingError extends Error {
  override name = 'SignalingError';
}

export class SignalingClient {
  private constructor(private readonly socket: Socket) {}

  static connect(url: string): Promise<SignalingClient> {
    const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(new SignalingClient(socket)));
      socket.once('connect_error', () => {
        socket.close();
        reject(new SignalingError('The signal server cannot be reached.'));
      });
    });
  }

  /** Joins a room; resolves with the peers already in it. */
  async join(roomId: string): Promise<string[]> {
    const reply = await this.request('join', roomId);
    const peers = reply.ok ? reply.peers : undefined;
    if (!Array.isArray(peers) || !peers.every(isText)) {
      throw new SignalingError('The signal server gave a malformed answer.');
    }
    return peers;
  }

  leave(roomId: string): void {
    this.socket.emit('leave', roomId);
  }

  async send(roomId: string, to: string, data: string): Promise<void> {
    await this.request('signal', { roomId, to, data });
  }

  private async request(event: string, payload: unknown): Promise<Reply & { ok: true }> {
    let reply: Reply;
    try {
      reply = (await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload)) as Reply;
    } catch {
      throw new SignalingError('The signal server did not answer.');
    }
    if (typeof reply !== 'object' || reply === null || reply.ok !== true) {
      const code = reply && reply.ok === false && isText(reply.error) ? reply.error : 'unknown';
      throw new SignalingError(
        code === 'room_full'
          ? 'That code is already in use.'
          : `The signal server refused (${code}).`,
      );
    }
    return reply;
  }

  onSignal(handler: (signal: RelayedSignal) => void): () => void {
    const listener = (value: unknown) => {
      const { roomId, from, data } = (value ?? {}) as Record<string, unknown>;
      if (isText(roomId) && isText(from) && isText(data)) handler({ roomId, from, data });
    };
    this.socket.on('signal', listener);
    return () => this.socket.off('signal', listener);
  }

  onPeer(event: 'peer-joined' | 'peer-left', handler: (roomId: string, peer: string) => void) {
    const listener = (value: unknown) => {
      const { roomId, peer } = (value ?? {}) as Record<string, unknown>;
      if (isText(roomId) && isText(peer)) handler(roomId, peer);
    };
    this.socket.on(event, listener);
    return () => this.socket.off(event, listener);
  }

  close(): void {
    this.socket.close();
  }
}

/** The STUN/TURN servers the signal server hands out; none is fine on one network. */
export async function fetchIceServers(signalUrl: string): Promise<RTCIceServer[]> {
  try {
    const response = await fetch(new URL('/ice-servers', signalUrl));
    const body = (await response.json()) as { iceServers?: unknown };
    return Array.isArray(body.iceServers) ? (body.iceServers as RTCIceServer[]) : [];
  } catch {
    return [];
  }
}
