import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  io as connect,
  type Socket,
  type SocketOptions,
  type ManagerOptions,
} from 'socket.io-client';
import { afterEach } from 'vitest';
import type {
  Closing,
  JoinReply,
  LeaveReply,
  PeerEvent,
  RelayedSignal,
  SignalReply,
} from '@coffre/core/protocol';
import { DEFAULT_SIGNAL_CONFIG, type SignalConfig } from '../../signal-server/src/config';
import { createSignalServer, type SignalServer } from '../../signal-server/src/server';

// A real signal server on an ephemeral port and real socket.io-client clients, cleaned up after
// each test.

export const testConfig: SignalConfig = {
  ...DEFAULT_SIGNAL_CONFIG,
  port: 0,
  maxRoomSize: 3,
  maxRoomsPerSocket: 2,
  maxConnectionsPerIp: 20,
  // Tests open clients from one address faster than the default allows; its own test keeps it.
  maxNewConnectionsPerSecond: 100,
  maxEventsPerSecond: 100,
};

const servers: SignalServer[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

export interface Running {
  server: SignalServer;
  url: string;
}

export async function startSignal(overrides: Partial<SignalConfig> = {}): Promise<Running> {
  const server = createSignalServer({ ...testConfig, ...overrides });
  servers.push(server);
  await new Promise<void>((resolve) => server.http.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.http.address() as AddressInfo).port}` };
}

type ClientOptions = Partial<ManagerOptions & SocketOptions>;

/** A client socket, not yet waited for. */
export function openClient(url: string, options: ClientOptions = {}): Socket {
  const socket = connect(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...options,
  });
  sockets.push(socket);
  return socket;
}

/** A connected client; rejects if the handshake is refused. */
export function client(url: string, options: ClientOptions = {}): Promise<Socket> {
  const socket = openClient(url, options);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

/** The outcome of a handshake: connected, or refused (a refused client never connects). */
export function handshake(socket: Socket): Promise<'connected' | 'refused'> {
  return new Promise((resolve) => {
    socket.once('connect', () => resolve('connected'));
    socket.once('connect_error', () => resolve('refused'));
    socket.once('disconnect', () => resolve('refused'));
  });
}

/** A fresh room id as clients make them: 32 bytes, canonical base64url. */
export const newRoomId = () => randomBytes(32).toString('base64url');
/** Sealed-looking signal data: random bytes in base64url. */
export const sealed = (bytes = 200) => randomBytes(bytes).toString('base64url');

const ACK_MS = 5000;

export const join = (s: Socket, roomId: string) =>
  s.timeout(ACK_MS).emitWithAck('join', { roomId }) as Promise<JoinReply>;
export const leave = (s: Socket, roomId: string) =>
  s.timeout(ACK_MS).emitWithAck('leave', { roomId }) as Promise<LeaveReply>;
export const signal = (s: Socket, message: Record<string, unknown>) =>
  s.timeout(ACK_MS).emitWithAck('signal', message) as Promise<SignalReply>;

/** The peer id a socket got in a room. */
export async function joinAs(s: Socket, roomId: string): Promise<string> {
  const reply = await join(s, roomId);
  if (!reply.ok) throw new Error(`join refused: ${reply.error}`);
  return reply.self;
}

export function nextEvent<T>(s: Socket, event: string): Promise<T> {
  return new Promise((resolve) => s.once(event, (payload: T) => resolve(payload)));
}

export const nextSignal = (s: Socket) => nextEvent<RelayedSignal>(s, 'signal');
export const nextPeerEvent = (s: Socket, event: 'peer-joined' | 'peer-left') =>
  nextEvent<PeerEvent>(s, event);

/** Resolves with the `closing` reason (if any came) and the disconnect reason. */
export function whenDropped(s: Socket): Promise<{ closing?: Closing['reason']; reason: string }> {
  let closing: Closing['reason'] | undefined;
  s.once('closing', (payload: Closing) => (closing = payload.reason));
  return new Promise((resolve) => s.once('disconnect', (reason) => resolve({ closing, reason })));
}

/** Every event a socket receives, for checking that a stranger saw nothing. */
export function recordEvents(s: Socket): string[] {
  const seen: string[] = [];
  s.onAny((event: string) => seen.push(event));
  return seen;
}
