import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { JoinReply, PeerEvent, RelayedSignal, matches } from '@coffre/core/protocol';
import {
  client,
  join,
  joinAs,
  leave,
  newRoomId,
  nextPeerEvent,
  nextSignal,
  recordEvents,
  sealed,
  signal,
  startSignal,
} from './signal-harness';

describe('signal relay', () => {
  it('relays a sealed signal to one room member, byte for byte, stamped with the sender', async () => {
    const { url } = await startSignal();
    const [a, b, c] = await Promise.all([client(url), client(url), client(url)]);
    const room = newRoomId();

    const first = await join(a, room);
    expect(matches(JoinReply, first)).toBe(true);
    expect(first).toEqual({ ok: true, self: expect.any(String), peers: [] });
    const aId = first.ok ? first.self : '';

    const joinedSeenByA = nextPeerEvent(a, 'peer-joined');
    const second = await join(b, room);
    expect(second).toEqual({ ok: true, self: expect.any(String), peers: [aId] });
    const bId = second.ok ? second.self : '';
    expect(await joinedSeenByA).toEqual({ roomId: room, peer: bId });
    const cId = await joinAs(c, room);
    // Peer ids are the server's own, not Socket.IO's socket ids.
    expect([aId, bId, cId]).not.toContain(a.id);

    const cSeen = recordEvents(c);
    const data = sealed(1000);
    const received = nextSignal(b);
    expect(await signal(a, { roomId: room, to: bId, data })).toEqual({ ok: true });
    const message = await received;
    expect(matches(RelayedSignal, message)).toBe(true);
    expect(message).toEqual({ roomId: room, from: aId, data });

    // c, in the same room but not addressed, got nothing (a round trip on c flushes its events).
    await join(c, room);
    expect(cSeen).toEqual([]);
  });

  it('overwrites a forged sender with the real one', async () => {
    const { url } = await startSignal();
    const [a, b, c] = await Promise.all([client(url), client(url), client(url)]);
    const room = newRoomId();
    const aId = await joinAs(a, room);
    const bId = await joinAs(b, room);
    const cId = await joinAs(c, room);

    const received = nextSignal(b);
    // a claims to be c.
    expect(await signal(a, { roomId: room, to: bId, data: sealed(), from: cId })).toEqual({
      ok: true,
    });
    expect((await received).from).toBe(aId);
  });

  it('refuses a signal to a peer outside the room, and from a sender outside it', async () => {
    const { url } = await startSignal();
    const [a, b, outsider] = await Promise.all([client(url), client(url), client(url)]);
    const room = newRoomId();
    const elsewhere = newRoomId();
    const aId = await joinAs(a, room);
    const bId = await joinAs(b, room);
    const outsiderId = await joinAs(outsider, elsewhere);
    const seen = recordEvents(outsider);
    const bSeen = recordEvents(b);

    const refused = { ok: false, error: 'not_found' };
    // To a peer in another room, naming either room.
    expect(await signal(a, { roomId: room, to: outsiderId, data: sealed() })).toEqual(refused);
    expect(await signal(a, { roomId: elsewhere, to: outsiderId, data: sealed() })).toEqual(refused);
    // From a socket that is not in the room it names, even knowing the member's peer id.
    expect(await signal(outsider, { roomId: room, to: bId, data: sealed() })).toEqual(refused);
    // To a peer id nobody has, and to oneself: neither is another member.
    const nobody = randomBytes(16).toString('base64url');
    expect(await signal(a, { roomId: room, to: nobody, data: sealed() })).toEqual(refused);
    expect(await signal(a, { roomId: room, to: aId, data: sealed() })).toEqual(refused);

    await join(outsider, elsewhere);
    await join(b, room);
    expect(seen).toEqual([]);
    expect(bSeen).toEqual([]);
  });

  it('stops relaying to a peer once it leaves, and tells the others', async () => {
    const { url } = await startSignal();
    const [a, b] = await Promise.all([client(url), client(url)]);
    const room = newRoomId();
    await joinAs(a, room);
    const bId = await joinAs(b, room);

    const left = nextPeerEvent(a, 'peer-left');
    expect(await leave(b, room)).toEqual({ ok: true });
    const event = await left;
    expect(matches(PeerEvent, event)).toBe(true);
    expect(event).toEqual({ roomId: room, peer: bId });
    expect(await signal(a, { roomId: room, to: bId, data: sealed() })).toEqual({
      ok: false,
      error: 'not_found',
    });
    // Leaving again, or a room never joined, changes nothing.
    expect(await leave(b, room)).toEqual({ ok: true });
    expect(await leave(b, newRoomId())).toEqual({ ok: true });
  });

  it('tells the room when a member disconnects', async () => {
    const { url } = await startSignal();
    const [a, b] = await Promise.all([client(url), client(url)]);
    const room = newRoomId();
    await joinAs(a, room);
    const bId = await joinAs(b, room);
    const left = nextPeerEvent(a, 'peer-left');
    b.disconnect();
    expect(await left).toEqual({ roomId: room, peer: bId });
  });

  it('answers a repeated join with the same peer id and no new announcement', async () => {
    const { url } = await startSignal();
    const [a, b] = await Promise.all([client(url), client(url)]);
    const room = newRoomId();
    const aId = await joinAs(a, room);
    const bId = await joinAs(b, room);
    const aSeen = recordEvents(a);
    expect(await join(b, room)).toEqual({ ok: true, self: bId, peers: [aId] });
    await join(a, room);
    expect(aSeen).toEqual([]);
  });

  it('lets a stranger who does not know the room id observe nothing of it', async () => {
    const { url } = await startSignal();
    const [a, b, stranger] = await Promise.all([client(url), client(url), client(url)]);
    const seen = recordEvents(stranger);
    const room = newRoomId();
    await joinAs(a, room);
    const bId = await joinAs(b, room);

    // Guessed ids are just empty rooms: nothing says any other room exists.
    for (let i = 0; i < 5; i++) {
      const guess = newRoomId();
      expect(await join(stranger, guess)).toEqual({
        ok: true,
        self: expect.any(String),
        peers: [],
      });
      expect(await leave(stranger, guess)).toEqual({ ok: true });
    }
    // There is no event that lists rooms or peers.
    for (const event of ['rooms', 'list', 'peers', 'members', 'stats']) {
      expect(await stranger.timeout(5000).emitWithAck(event, {})).toEqual({
        ok: false,
        error: 'unknown_event',
      });
    }
    // The members keep talking; the stranger hears none of it.
    const received = nextSignal(b);
    await signal(a, { roomId: room, to: bId, data: sealed() });
    await received;
    await leave(b, room);
    await joinAs(b, room);
    await join(stranger, newRoomId());
    expect(seen).toEqual([]);
  });
});
