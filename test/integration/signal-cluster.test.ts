// Two signal server processes' worth of servers sharing rooms through a real Redis: members on
// either one see each other, signals cross between them with the sender stamped, the caps count
// members on both, and after Redis restarts signaling works again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from './private-redis';
import {
  client,
  join,
  joinAs,
  newRoomId,
  nextPeerEvent,
  nextSignal,
  sealed,
  signal,
  startSignal,
  type Running,
} from './signal-harness';

let redis: PrivateRedis;

beforeAll(async () => {
  redis = await startPrivateRedis();
});
afterAll(() => redis?.stop());

async function twoNodes(): Promise<[Running, Running]> {
  const shared = { redis: { url: redis.url, prefix: `t${Date.now()}:` } };
  const nodes = await Promise.all([startSignal(shared), startSignal(shared)]);
  // Each node subscribes as it starts; the join below needs both subscribed.
  await Promise.all(nodes.map(({ url }) => untilReady(url)));
  return nodes;
}

async function untilReady(url: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const response = await fetch(`${url}/ready`);
    await response.arrayBuffer();
    if (response.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} never became ready`);
}

describe('rooms shared by two signal servers through Redis', () => {
  it('relays between members connected to different servers, stamping the sender', async () => {
    const [one, two] = await twoNodes();
    const [alice, bob] = await Promise.all([client(one.url), client(two.url)]);
    const roomId = newRoomId();
    const aliceId = await joinAs(alice, roomId);
    const joined = nextPeerEvent(alice, 'peer-joined');
    const bobReply = await join(bob, roomId);
    expect(bobReply).toMatchObject({ ok: true, peers: [aliceId] });
    if (!bobReply.ok) return;
    expect(await joined).toEqual({ roomId, peer: bobReply.self });

    const data = sealed();
    const arriving = nextSignal(bob);
    expect(await signal(alice, { roomId, to: bobReply.self, data, from: bobReply.self })).toEqual({
      ok: true,
    });
    expect(await arriving).toEqual({ roomId, from: aliceId, data });

    const left = nextPeerEvent(alice, 'peer-left');
    bob.disconnect();
    expect(await left).toEqual({ roomId, peer: bobReply.self });
    expect(await signal(alice, { roomId, to: bobReply.self, data })).toEqual({
      ok: false,
      error: 'not_found',
    });
  });

  it('lists members oldest first and counts both servers towards the room size', async () => {
    const [one, two] = await twoNodes();
    const roomId = newRoomId();
    const first = await joinAs(await client(one.url), roomId);
    const second = await joinAs(await client(two.url), roomId);
    expect(await join(await client(one.url), roomId)).toMatchObject({
      ok: true,
      peers: [first, second],
    });
    // Three members on two servers fill a room of three, whichever server the fourth asks.
    for (const url of [one.url, two.url]) {
      expect(await join(await client(url), roomId)).toEqual({ ok: false, error: 'room_full' });
    }
    // A member of another room reaches nobody in this one, whichever server holds them.
    const stranger = await client(one.url);
    const otherRoom = newRoomId();
    await joinAs(stranger, otherRoom);
    for (const target of [first, second]) {
      for (const room of [otherRoom, roomId]) {
        expect(await signal(stranger, { roomId: room, to: target, data: sealed() })).toEqual({
          ok: false,
          error: 'not_found',
        });
      }
    }
  });

  it('says it is not ready while Redis is away, and signals again once it is back', async () => {
    const [one, two] = await twoNodes();
    const [alice, bob] = await Promise.all([client(one.url), client(two.url)]);
    const roomId = newRoomId();
    await joinAs(alice, roomId);
    const bobId = await joinAs(bob, roomId);

    await redis.stop();
    const ready = await fetch(`${one.url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ ready: false });
    // A member on the other server cannot be confirmed: a clear answer, not silence.
    expect(await signal(alice, { roomId, to: bobId, data: sealed() })).toEqual({
      ok: false,
      error: 'unavailable',
    });

    await redis.start();
    await Promise.all([untilReady(one.url), untilReady(two.url)]);
    const data = sealed();
    const arriving = nextSignal(bob);
    expect(await signal(alice, { roomId, to: bobId, data })).toEqual({ ok: true });
    expect((await arriving).data).toBe(data);
    const room2 = newRoomId();
    const carol = await joinAs(await client(two.url), room2);
    expect(await join(alice, room2)).toMatchObject({ ok: true, peers: [carol] });
  });
});
