// The signal server as a client sees it (socket.io, websocket only): join opaque rooms, learn who
// is there, pass a string to one peer. Everything relayed is sealed by the layer above
// (introduction.ts); this layer only checks shapes, because the server is not trusted.
import { io, type Socket } from 'socket.io-client';
import {
  IceServersResponse,
  JoinReply,
  LeaveReply,
  PeerEvent,
  RelayedSignal,
  SIGNAL_ROUTES,
  SIGNAL_SOCKET_PATH,
  SignalReply,
  matches,
  type SignalErrorCode,
} from '@coffre/core/protocol';

export type { RelayedSignal } from '@coffre/core/protocol';

const ACK_TIMEOUT_MS = 10_000;

const REFUSALS: Partial<Record<SignalErrorCode, string>> = {
  room_full: 'That code is already in use.',
  not_found: 'The other device has gone.',
  unavailable: 'The signal server is busy. Try again in a moment.',
};

export class SignalingError extends Error {
  override name = 'SignalingError';
}

export class SignalingClient {
  private constructor(private readonly socket: Socket) {}

  static connect(url: string): Promise<SignalingClient> {
    const socket = io(url, {
      path: SIGNAL_SOCKET_PATH,
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
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
    const reply = await this.request('join', { roomId });
    if (!matches(JoinReply, reply)) throw malformed();
    if (!reply.ok) throw refused(reply.error);
    return reply.peers;
  }

  leave(roomId: string): void {
    this.socket.emit('leave', { roomId }, (reply: unknown) => {
      // Nothing to do either way: leaving is best effort, and the socket closes soon after.
      void matches(LeaveReply, reply);
    });
  }

  async send(roomId: string, to: string, data: string): Promise<void> {
    const reply = await this.request('signal', { roomId, to, data });
    if (!matches(SignalReply, reply)) throw malformed();
    if (!reply.ok) throw refused(reply.error);
  }

  private async request(event: string, payload: unknown): Promise<unknown> {
    try {
      return await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload);
    } catch {
      throw new SignalingError('The signal server did not answer.');
    }
  }

  onSignal(handler: (signal: RelayedSignal) => void): () => void {
    const listener = (value: unknown) => {
      if (matches(RelayedSignal, value)) handler(value);
    };
    this.socket.on('signal', listener);
    return () => this.socket.off('signal', listener);
  }

  onPeer(event: 'peer-joined' | 'peer-left', handler: (roomId: string, peer: string) => void) {
    const listener = (value: unknown) => {
      if (matches(PeerEvent, value)) handler(value.roomId, value.peer);
    };
    this.socket.on(event, listener);
    return () => this.socket.off(event, listener);
  }

  /** The server or the network dropped the socket; it does not reconnect by itself. */
  onDisconnect(handler: () => void): void {
    this.socket.on('disconnect', handler);
  }

  /** False once the server or the network dropped the socket (it does not reconnect by itself). */
  get connected(): boolean {
    return this.socket.connected;
  }

  close(): void {
    this.socket.close();
  }
}

const malformed = () => new SignalingError('The signal server gave a malformed answer.');
const refused = (code: SignalErrorCode) =>
  new SignalingError(REFUSALS[code] ?? `The signal server refused (${code}).`);

/** The STUN/TURN servers the signal server hands out; none is fine on one network. */
export async function fetchIceServers(signalUrl: string): Promise<RTCIceServer[]> {
  try {
    const response = await fetch(new URL(SIGNAL_ROUTES.iceServers, signalUrl));
    const body: unknown = await response.json();
    return matches(IceServersResponse, body) ? body.iceServers : [];
  } catch {
    return [];
  }
}
