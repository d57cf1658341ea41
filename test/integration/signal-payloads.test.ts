import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_SIGNAL_ENVELOPE_BYTES } from '@coffre/core/format';
import {
  client,
  join,
  joinAs,
  newRoomId,
  nextSignal,
  sealed,
  signal,
  startSignal,
} from './signal-harness';

const refused = { ok: false, error: 'bad_request' };

/** Room ids that are not 32 bytes of canonical base64url. */
const badRoomIds: unknown[] = [
  '',
  'room',
  '../../etc/passwd',
  newRoomId().slice(0, 42),
  `${newRoomId()}A`,
  // 43 characters whose spare bits are not zero: not what base64url of 32 bytes gives.
  `${newRoomId().slice(0, 42)}B`,
  `${randomBytes(32).toString('base64').slice(0, 42)}=`,
  `${newRoomId().slice(0, 41)}+A`,
  `${newRoomId().slice(0, 41)}/A`,
  ` ${newRoomId().slice(1)}`,
  'x'.repeat(7000),
  42,
  null,
  true,
  [],
  {},
  randomBytes(32),
];

/** Payloads of every wrong kind for an event whose payload is `{roomId}`. */
const badRoomPayloads = (): unknown[][] => [
  [],
  [undefined],
  [null],
  [0],
  ['a string'],
  [newRoomId()],
  [[newRoomId()]],
  [{}],
  [{ roomId: newRoomId(), extra: 1 }],
  [randomBytes(64)],
  ...badRoomIds.map((roomId) => [{ roomId }]),
];

describe('signal payload checks', () => {
  it('answers every malformed join and leave with bad_request, and stays up', async () => {
    const { url } = await startSignal({ maxEventsPerSecond: 10_000 });
    const a = await client(url);
    for (const event of ['join', 'leave']) {
      for (const args of badRoomPayloads()) {
        const reply = await a.timeout(5000).emitWithAck(event, ...args);
        expect(reply, `${event} ${JSON.stringify(args).slice(0, 80)}`).toEqual(refused);
      }
    }
    expect(a.connected).toBe(true);
    expect((await join(a, newRoomId())).ok).toBe(true);
  });

  it('answers every malformed signal with bad_request and relays nothing', async () => {
    const { url } = await startSignal({ maxEventsPerSecond: 10_000 });
    const [a, b] = await Promise.all([client(url), client(url)]);
    const room = newRoomId();
    await joinAs(a, room);
    const bId = await joinAs(b, room);
    let relayed = 0;
    b.on('signal', () => relayed++);

    const valid = { roomId: room, to: bId, data: sealed() };
    const bad: unknown[] = [
      undefined,
      null,
      'signal',
      17,
      [valid],
      {},
      { roomId: room, to: bId },
      { roomId: room, data: sealed() },
      { to: bId, data: sealed() },
      { ...valid, extra: true },
      { ...valid, data: '' },
      { ...valid, data: 'not base64url!' },
      { ...valid, data: 'a b' },
      { ...valid, data: sealed(MAX_SIGNAL_ENVELOPE_BYTES + 1) },
      { ...valid, data: 12345 },
      { ...valid, data: { sdp: 'v=0' } },
      { ...valid, data: randomBytes(100) },
      { ...valid, data: null },
      { ...valid, to: 12 },
      { ...valid, to: 'peer' },
      { ...valid, to: bId.slice(1) },
      { ...valid, to: randomBytes(16) },
      { ...valid, from: 'server' },
      { ...valid, from: 7 },
      ...badRoomIds.map((roomId) => ({ ...valid, roomId })),
    ];
    for (const payload of bad) {
      const reply = await signal(a, payload as Record<string, unknown>);
      expect(reply, JSON.stringify(payload)?.slice(0, 80)).toEqual(refused);
    }
    expect(await a.timeout(5000).emitWithAck('signal')).toEqual(refused);

    // A round trip on b first: anything relayed to it would have arrived before this answer.
    await join(b, room);
    expect(relayed).toBe(0);
    // Still up, and the valid message goes through.
    const received = nextSignal(b);
    expect(await signal(a, valid)).toEqual({ ok: true });
    expect((await received).data).toBe(valid.data);
  });

  it('answers an unknown event with an ack, and ignores one without', async () => {
    const { url } = await startSignal();
    const a = await client(url);
    a.emit('whatever', { x: 1 });
    expect(await a.timeout(5000).emitWithAck('join-all')).toEqual({
      ok: false,
      error: 'unknown_event',
    });
    expect(a.connected).toBe(true);
  });
});
