import { describe, expect, it } from 'vitest';
import { MAX_SIGNAL_ENVELOPE_BYTES } from '@coffre/core/format';
import { addressKey } from '@coffre/server-kit';
import {
  client,
  handshake,
  join,
  joinAs,
  newRoomId,
  nextPeerEvent,
  openClient,
  sealed,
  signal,
  startSignal,
  whenDropped,
} from './signal-harness';

describe('signal caps', () => {
  it('refuses a join past the room size, and counts a room again once someone leaves', async () => {
    const { url } = await startSignal({ maxRoomSize: 3 });
    const [a, b, c, d] = await Promise.all([client(url), client(url), client(url), client(url)]);
    const room = newRoomId();
    for (const s of [a, b, c]) await joinAs(s, room);
    expect(await join(d, room)).toEqual({ ok: false, error: 'room_full' });
    c.disconnect();
    // The server counts c out when its close arrives; a bounded retry waits for that.
    let reply = await join(d, room);
    for (let i = 0; i < 50 && !reply.ok; i++) reply = await join(d, room);
    expect(reply).toMatchObject({ ok: true, peers: expect.any(Array) });
  });

  it('refuses a join past the rooms per socket', async () => {
    const { url } = await startSignal({ maxRoomsPerSocket: 2 });
    const a = await client(url);
    const [one, two] = [newRoomId(), newRoomId()];
    await joinAs(a, one);
    await joinAs(a, two);
    expect(await join(a, newRoomId())).toEqual({ ok: false, error: 'too_many_rooms' });
    // Re-joining a room it is in is not a new room.
    expect((await join(a, one)).ok).toBe(true);
  });

  it('drops a socket that sends an oversized message, and carries on for the others', async () => {
    const { url } = await startSignal({ maxMessageBytes: 8192 });
    const [a, b] = await Promise.all([client(url), client(url)]);
    const room = newRoomId();
    await joinAs(a, room);
    const bId = await joinAs(b, room);
    const aLeft = nextPeerEvent(b, 'peer-left');

    const dropped = whenDropped(a);
    a.emit('signal', { roomId: room, to: bId, data: 'A'.repeat(10_000) });
    const { reason, closing } = await dropped;
    expect(reason).toMatch(/^transport /);
    expect(closing).toBeUndefined();
    await aLeft;

    // The largest valid signal still fits under the limit.
    const c = await client(url);
    const cId = await joinAs(c, room);
    expect(
      await signal(b, { roomId: room, to: cId, data: sealed(MAX_SIGNAL_ENVELOPE_BYTES) }),
    ).toEqual({ ok: true });
  });

  it('disconnects a socket that floods events, and leaves its room mates alone', async () => {
    const { url } = await startSignal({ maxEventsPerSecond: 20 });
    const [flooder, b, c] = await Promise.all([client(url), client(url), client(url)]);
    const room = newRoomId();
    await joinAs(flooder, room);
    await joinAs(b, room);
    const cId = await joinAs(c, room);
    const flooderLeft = nextPeerEvent(b, 'peer-left');

    const dropped = whenDropped(flooder);
    for (let i = 0; i < 500; i++) flooder.emit('leave', { roomId: newRoomId() });
    expect(await dropped).toEqual({ closing: 'rate_limited', reason: 'io server disconnect' });
    await flooderLeft;
    expect(await signal(b, { roomId: room, to: cId, data: sealed() })).toEqual({ ok: true });
  });

  it('counts every message towards the rate, not only events', async () => {
    const { url } = await startSignal({ maxEventsPerSecond: 20 });
    const flooder = await client(url);
    const dropped = whenDropped(flooder);
    // Bare acknowledgements for requests the server never made: Socket.IO drops them unread.
    for (let i = 0; i < 500; i++) flooder.io.engine.send(`3${i}[]`);
    expect(await dropped).toEqual({ closing: 'rate_limited', reason: 'io server disconnect' });
  });

  it('caps connections per address, and frees a slot when one closes', async () => {
    const { url } = await startSignal({ maxConnectionsPerIp: 2 });
    const first = await client(url);
    await client(url);
    await expect(client(url)).rejects.toThrow();

    first.disconnect();
    let outcome = await handshake(openClient(url));
    for (let i = 0; i < 50 && outcome === 'refused'; i++)
      outcome = await handshake(openClient(url));
    expect(outcome).toBe('connected');
  });

  it('holds the per-address cap under a burst of simultaneous handshakes', async () => {
    const { url, server } = await startSignal({ maxConnectionsPerIp: 3 });
    const burst = Array.from({ length: 15 }, () => openClient(url));
    const outcomes = await Promise.all(burst.map(handshake));
    expect(outcomes.filter((o) => o === 'connected').length).toBeLessThanOrEqual(3);
    expect(server.io.engine.clientsCount).toBeLessThanOrEqual(3);
    // The server is still there for a new address's worth of work once the burst is gone.
    for (const s of burst) s.disconnect();
    let outcome = await handshake(openClient(url));
    for (let i = 0; i < 50 && outcome === 'refused'; i++)
      outcome = await handshake(openClient(url));
    expect(outcome).toBe('connected');
  });

  it('caps connections for the whole process', async () => {
    const { url } = await startSignal({ maxConnections: 2, maxConnectionsPerIp: 100 });
    await client(url);
    await client(url);
    await expect(client(url)).rejects.toThrow();
  });

  it('ignores X-Forwarded-For unless told to trust a proxy', async () => {
    const { url } = await startSignal({ maxConnectionsPerIp: 1 });
    await client(url, { extraHeaders: { 'x-forwarded-for': '198.51.100.1' } });
    await expect(
      client(url, { extraHeaders: { 'x-forwarded-for': '198.51.100.2' } }),
    ).rejects.toThrow();
  });

  it('behind a trusted proxy, counts the address the proxy appended', async () => {
    const { url } = await startSignal({ maxConnectionsPerIp: 1, trustProxy: 1 });
    const via = (header: string) => client(url, { extraHeaders: { 'x-forwarded-for': header } });
    await via('198.51.100.1');
    await via('198.51.100.2');
    // What the client wrote before the proxy's entry does not count.
    await expect(via('198.51.100.9, 198.51.100.1')).rejects.toThrow();
    await via('198.51.100.1, 198.51.100.3');
  });

  it('counts IPv6 per /64 and IPv4-mapped addresses as IPv4', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
    expect(addressKey('2001:0db8:0001:0002::')).toBe('2001:db8:1:2::/64');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
  });

  it('accepts only the configured origins', async () => {
    const { url } = await startSignal({ allowedOrigins: ['https://drive.example'] });
    await client(url, { extraHeaders: { origin: 'https://drive.example' } });
    await expect(
      client(url, { extraHeaders: { origin: 'https://evil.example' } }),
    ).rejects.toThrow();
    await expect(client(url)).rejects.toThrow();
  });

  it('disconnects a socket that stays in no room, not one that joined', async () => {
    const { url } = await startSignal({ idleTimeoutMs: 1000 });
    const member = await client(url);
    await joinAs(member, newRoomId());
    const idle = await client(url);
    expect(await whenDropped(idle)).toEqual({ closing: 'idle', reason: 'io server disconnect' });
    expect(member.connected).toBe(true);
    expect((await join(member, newRoomId())).ok).toBe(true);
  });
});
