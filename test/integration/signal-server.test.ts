import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { io as connect, type Socket } from 'socket.io-client';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createSignalServer, type SignalServer } from '../../signal-server/src/server';
import type { SignalConfig } from '../../signal-server/src/config';

const baseConfig: SignalConfig = {
  host: '127.0.0.1',
  port: 0,
  maxMessageBytes: 4096,
  maxRoomSize: 3,
  maxConnectionsPerIp: 10,
  maxEventsPerSecond: 20,
  allowedOrigins: [],
  iceServers: [{ urls: 'stun:stun.example.org:3478' }],
};

let server: SignalServer;
let url: string;
const sockets: Socket[] = [];

async function start(overrides: Partial<SignalConfig> = {}) {
  server = createSignalServer({ ...baseConfig, ...overrides });
  await new Promise<void>((resolve) => server.http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.http.address() as AddressInfo).port}`;
}

function client(): Promise<Socket> {
  const socket = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  sockets.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

const roomId = () => randomBytes(32).toString('base64url');
type Reply = { ok: boolean; peers?: string[]; error?: string };
const join = (s: Socket, room: string) =>
  s.timeout(2000).emitWithAck('join', room) as Promise<Reply>;
const nextEvent = <T>(s: Socket, event: string) =>
  new Promise<T>((resolve) => s.once(event, (payload: T) => resolve(payload)));

beforeEach(() => start());
afterEach(async () => {
  for (const s of sockets.splice(0)) s.disconnect();
  await server.close();
});

describe('signal server', () => {
  it('answers health and hands out the configured ICE servers', async () => {
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ ok: true });
    expect(await (await fetch(`${url}/ice-servers`)).json()).toEqual({
      iceServers: baseConfig.iceServers,
    });
  });

  it('relays a signal to a room member and stamps the real sender', async () => {
    const [a, b] = await Promise.all([client(), client()]);
    const room = roomId();
    expect(await join(a, room)).toEqual({ ok: true, peers: [] });
    const joined = nextEvent<{ peer: string }>(a, 'peer-joined');
    expect(await join(b, room)).toEqual({ ok: true, peers: [a.id] });
    expect((await joined).peer).toBe(b.id);

    const received = nextEvent<{ from: string; data: string; roomId: string }>(b, 'signal');
    const reply = await a.emitWithAck('signal', {
      roomId: room,
      to: b.id,
      data: 'sealed',
      from: 'x',
    });
    expect(reply).toEqual({ ok: true });
    expect(await received).toEqual({ roomId: room, from: a.id, data: 'sealed' });
  });

  it('refuses to relay to a socket outside the sender’s room', async () => {
    const [a, stranger] = await Promise.all([client(), client()]);
    const room = roomId();
    await join(a, room);
    let delivered = false;
    stranger.on('signal', () => (delivered = true));
    expect(await a.emitWithAck('signal', { roomId: room, to: stranger.id, data: 'x' })).toEqual({
      ok: false,
      error: 'not_found',
    });
    // A stranger who is in no room cannot reach a member either.
    expect(await stranger.emitWithAck('signal', { roomId: room, to: a.id, data: 'x' })).toEqual({
      ok: false,
      error: 'not_found',
    });
    expect(delivered).toBe(false);
  });

  it('refuses malformed room ids and caps the room size', async () => {
    const [a, b, c, d] = await Promise.all([client(), client(), client(), client()]);
    expect(await join(a, '../room')).toEqual({ ok: false, error: 'bad_request' });
    const room = roomId();
    for (const s of [a, b, c]) expect((await join(s, room)).ok).toBe(true);
    expect(await join(d, room)).toEqual({ ok: false, error: 'room_full' });
  });

  it('drops a socket that sends an oversized message, and stays up', async () => {
    const a = await client();
    const closed = nextEvent(a, 'disconnect');
    a.emit('signal', { roomId: roomId(), to: 'x', data: 'y'.repeat(10_000) });
    await closed;
    const b = await client();
    expect((await join(b, roomId())).ok).toBe(true);
  });

  it('disconnects a socket that floods events', async () => {
    const a = await client();
    const closed = nextEvent(a, 'disconnect');
    for (let i = 0; i < 50; i++) a.emit('leave', roomId());
    await closed;
    expect(a.connected).toBe(false);
  });

  it('caps connections per address', async () => {
    await server.close();
    await start({ maxConnectionsPerIp: 2 });
    await client();
    await client();
    await expect(client()).rejects.toThrow();
  });

  it('tells room members when a peer leaves', async () => {
    const [a, b] = await Promise.all([client(), client()]);
    const room = roomId();
    await join(a, room);
    await join(b, room);
    const left = nextEvent<{ peer: string }>(a, 'peer-left');
    const bId = b.id;
    b.disconnect();
    expect((await left).peer).toBe(bId);
  });
});
