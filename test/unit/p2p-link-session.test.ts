// Link sessions (protocol.md §6, "Link sessions") over an in-memory channel: a seeder serves only
// the chunks it holds of the file asked for, and the fetching side refuses a scripted peer for
// every fault, ending the session with a clear error.
import { beforeAll, describe, expect, it } from 'vitest';
import { initCrypto } from '@coffre/core/crypto';
import { FRAME_DATA_BYTES, LINK_QUEUED_INDEXES, MAX_FRAME_BYTES } from '@coffre/core/format';
import {
  dataFrames,
  decodeFrame,
  encodeFrame,
  type PeerFrame,
} from '@coffre/core/protocol/peer-frames';
import type { PeerFile } from '../../client/src/services/downloads/chunk-peers';
import type { FrameChannel } from '../../client/src/services/p2p/wire/frame-channel';
import { LinkSeedCache } from '../../client/src/services/p2p/link-room/seed-cache';
import { PeerChunkError, SeederPeer } from '../../client/src/services/p2p/link-room/fetching-peer';
import { serveLinkPeer } from '../../client/src/services/p2p/link-room/seeder';
import type { PeerConnection } from '../../client/src/services/p2p/wire/peer';
import { sealedTestFile, type SealedTestFile } from '../p2p/sealed-file';

beforeAll(initCrypto);

const MiB = 1024 * 1024;

/** Two connected ends as the sessions see them; frames arrive asynchronously and in order. */
function connectionPair(): [PeerConnection, PeerConnection] {
  const ends = [0, 1].map(() => ({
    handler: (() => undefined) as (frame: Uint8Array) => void,
    closers: [] as (() => void)[],
  }));
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    setImmediate(() => ends.flatMap((end) => end.closers).forEach((closer) => closer()));
  };
  const connection = (self: number): PeerConnection => {
    const frames: FrameChannel = {
      async send(frame) {
        if (!open) throw new Error('closed');
        const copy = frame.slice();
        setImmediate(() => ends[1 - self]!.handler(copy));
      },
      onFrame: (handler) => (ends[self]!.handler = handler),
      onClose: (handler) => ends[self]!.closers.push(handler),
      close,
    };
    return { frames, end: async () => close(), destroy: close };
  };
  return [connection(0), connection(1)];
}

/** The far end scripted by the test: every frame it gets, and a way to answer. */
function scriptedPeer(connection: PeerConnection) {
  const received: PeerFrame[] = [];
  const waiting: ((frame: PeerFrame) => void)[] = [];
  connection.frames.onFrame((bytes) => {
    const frame = decodeFrame(bytes);
    received.push(frame);
    waiting.splice(0).forEach((wake) => wake(frame));
  });
  const next = (type: PeerFrame['type']) =>
    new Promise<PeerFrame>((resolve) => {
      const found = received.find((frame) => frame.type === type);
      if (found) return resolve(found);
      const wait = (frame: PeerFrame) =>
        frame.type === type ? resolve(frame) : waiting.push(wait);
      waiting.push(wait);
    });
  const send = (frame: Uint8Array) => connection.frames.send(frame);
  return { received, next, send };
}

const fileOf = (file: SealedTestFile): PeerFile => ({
  nodeId: file.nodeId,
  revision: file.revision,
  count: file.count,
});

let file: SealedTestFile;
let other: SealedTestFile;
beforeAll(() => {
  file = sealedTestFile('link session', 9 * MiB); // 3 chunks, the last one short
  other = sealedTestFile('another file', 9 * MiB);
});

describe('link session seeder', () => {
  it('offers exactly the chunks it holds of the file asked for, and serves them', async () => {
    const cache = new LinkSeedCache();
    cache.put(fileOf(file), 0, file.chunk(0));
    cache.put(fileOf(file), 2, file.chunk(2));
    const [seeder, fetcher] = connectionPair();
    serveLinkPeer(seeder, cache);
    const gone: string[] = [];
    const peer = new SeederPeer('p', fetcher, (_, reason) => gone.push(reason));
    const bitmap = await peer.want(fileOf(file));
    expect([0, 1, 2].map((i) => bitmap.has(i))).toEqual([true, false, true]);
    const bytes = await peer.fetch(fileOf(file), 2, file.chunk(2).length);
    expect(Buffer.from(bytes).equals(file.chunk(2))).toBe(true);
    expect(peer.holds(fileOf(file), 1)).toBe(false);

    const [seeder2, fetcher2] = connectionPair();
    serveLinkPeer(seeder2, cache);
    const otherPeer = new SeederPeer('r', fetcher2, () => undefined);
    const none = await otherPeer.want(fileOf(other));
    expect(none.held).toBe(0);
    expect(gone).toEqual([]);
  });

  it('ends the session on a request for a chunk it did not offer', async () => {
    const cache = new LinkSeedCache();
    cache.put(fileOf(file), 0, file.chunk(0));
    const [seeder, fetcher] = connectionPair();
    serveLinkPeer(seeder, cache);
    const script = scriptedPeer(fetcher);
    await script.send(encodeFrame({ type: 'want', ...fileOf(file) }));
    await script.next('have');
    await script.send(encodeFrame({ type: 'request', indexes: [1] }));
    expect(await script.next('error')).toMatchObject({
      code: 'protocol',
      message: expect.stringMatching(/chunk 1, which is not offered/),
    });
  });

  it('takes as many queued indexes as a receiver may have, and ends the session on one more', async () => {
    const cache = new LinkSeedCache();
    for (let i = 0; i < 3; i += 1) cache.put(fileOf(file), i, file.chunk(i));
    const indexes = Array.from({ length: LINK_QUEUED_INDEXES + 1 }, (_, i) => i % 3);
    const requestFrom = async (count: number) => {
      const [seeder, fetcher] = connectionPair();
      serveLinkPeer(seeder, cache);
      const script = scriptedPeer(fetcher);
      await script.send(encodeFrame({ type: 'want', ...fileOf(file) }));
      await script.next('have');
      await script.send(encodeFrame({ type: 'request', indexes: indexes.slice(0, count) }));
      return script;
    };
    const atLimit = await requestFrom(LINK_QUEUED_INDEXES);
    expect(await atLimit.next('chunk')).toMatchObject({ index: 0, offset: 0 });
    expect(atLimit.received.some((frame) => frame.type === 'error')).toBe(false);
    const over = await requestFrom(LINK_QUEUED_INDEXES + 1);
    expect(await over.next('error')).toMatchObject({
      code: 'protocol',
      message: expect.stringMatching(/too many requests/),
    });
  });

  it('keeps only the most recent chunks within its bound', async () => {
    const cache = new LinkSeedCache(2 * file.chunk(0).length);
    for (let i = 0; i < 3; i += 1) cache.put(fileOf(file), i, file.chunk(i));
    const held = await cache.holds(fileOf(file));
    expect([0, 1, 2].map((i) => held.has(i))).toEqual([false, true, true]);
  });
});

describe('link session fetcher refuses a malicious peer', () => {
  const length = 4 * MiB + 41;
  const faults: [string, (index: number) => Uint8Array[], RegExp][] = [
    [
      'a chunk not asked for',
      () => [encodeFrame({ type: 'chunk', index: 2, offset: 0, data: new Uint8Array(9) })],
      /not the one asked for/,
    ],
    [
      'bytes out of order',
      (i) => [
        encodeFrame({ type: 'chunk', index: i, offset: FRAME_DATA_BYTES, data: new Uint8Array(9) }),
      ],
      /out of order/,
    ],
    [
      'too many bytes',
      (i) => [...dataFrames('chunk', i, new Uint8Array(length + 1))],
      /more bytes than chunk 1 holds/,
    ],
    [
      'a duplicate',
      (i) => [
        ...dataFrames('chunk', i, new Uint8Array(length)),
        ...dataFrames('chunk', i, new Uint8Array(length)),
      ],
      /not the one asked for/,
    ],
    [
      'an oversized frame',
      () => [new Uint8Array(MAX_FRAME_BYTES + 1).fill(4)],
      /over the 16 KiB limit/,
    ],
    ['garbage', () => [Uint8Array.of(0xee, 1, 2, 3)], /unknown frame type/],
  ];

  for (const [what, frames, message] of faults) {
    it(`refuses ${what}`, async () => {
      const [far, near] = connectionPair();
      const script = scriptedPeer(far);
      let reason = '';
      const peer = new SeederPeer('p', near, (_, why) => (reason = why));
      const wanted = peer.want(fileOf(file));
      await script.next('want');
      await script.send(
        encodeFrame({ type: 'have', count: file.count, first: 0, bitmap: Uint8Array.of(0xe0) }),
      );
      await wanted;
      const fetched = peer.fetch(fileOf(file), 1, length);
      await script.next('request');
      for (const frame of frames(1)) await script.send(frame);
      // A duplicate follows a complete first copy, which the caller then verifies on its own.
      if (what === 'a duplicate') await fetched;
      else await expect(fetched).rejects.toBeInstanceOf(PeerChunkError);
      expect(await script.next('error')).toMatchObject({ code: 'protocol' });
      expect(reason).toMatch(message);
      expect(peer.alive).toBe(false);
    });
  }

  it('refuses a bitmap for another file', async () => {
    const [far, near] = connectionPair();
    const script = scriptedPeer(far);
    const peer = new SeederPeer('p', near, () => undefined);
    const wanted = peer.want(fileOf(file));
    await script.next('want');
    await script.send(
      encodeFrame({ type: 'have', count: 40, first: 0, bitmap: Uint8Array.of(0xff) }),
    );
    await expect(wanted).rejects.toThrow(/have frame for another file/);
  });

  it('drops a peer that never sends the last bytes of a chunk', async () => {
    const [far, near] = connectionPair();
    const script = scriptedPeer(far);
    const peer = new SeederPeer('p', near, () => undefined, 50);
    const wanted = peer.want(fileOf(file));
    await script.next('want');
    await script.send(
      encodeFrame({ type: 'have', count: file.count, first: 0, bitmap: Uint8Array.of(0xe0) }),
    );
    await wanted;
    const fetched = peer.fetch(fileOf(file), 1, length);
    await script.next('request');
    await script.send(encodeFrame({ type: 'chunk', index: 1, offset: 0, data: new Uint8Array(9) }));
    await expect(fetched).rejects.toThrow(/stopped sending/);
  });
});
