// The transfer sessions over an in-memory channel: an honest transfer, a resumed one, and a
// scripted malicious sender for each fault of protocol.md "The receiver's checks".
import { beforeAll, describe, expect, it } from 'vitest';
import { ChunkSealer, chunkId, initCrypto } from '@coffre/core/crypto';
import { toBase64Url } from '@coffre/core/format';
import {
  dataFrames,
  decodeFrame,
  encodeFrame,
  type PeerFrame,
} from '@coffre/core/protocol/peer-frames';
import type { FrameChannel } from '../../client/src/services/p2p/wire/frame-channel';
import { MemorySink } from '../p2p/memory-sink';
import {
  type ChunkOpener,
  pairedOfferCheck,
  sealFileOffer,
} from '../../client/src/services/p2p/direct/offer';
import { receiveTransfer } from '../../client/src/services/p2p/wire/chunk-receiver';
import { sendTransfer } from '../../client/src/services/p2p/wire/chunk-sender';
import { PeerTransferError } from '../../client/src/services/p2p/wire/wire-errors';
import { sealedTestFile, type SealedTestFile } from '../p2p/sealed-file';

beforeAll(initCrypto);

/** Two connected ends; frames arrive asynchronously and in order, as on a data channel. */
function channelPair(): [FrameChannel, FrameChannel] {
  const make = () => {
    let handler: (frame: Uint8Array) => void = () => undefined;
    const closers: (() => void)[] = [];
    return {
      handler: (f: Uint8Array) => handler(f),
      setHandler: (h: typeof handler) => (handler = h),
      closers,
    };
  };
  const a = make();
  const b = make();
  let open = true;
  const end = (self: typeof a, peer: typeof a): FrameChannel => ({
    async send(frame) {
      if (!open) throw new Error('closed');
      const copy = frame.slice();
      setImmediate(() => peer.handler(copy)); // sent before a close: still delivered
    },
    onFrame: (h) => self.setHandler(h),
    onClose: (h) => self.closers.push(h),
    close() {
      if (!open) return;
      open = false;
      setImmediate(() => [...a.closers, ...b.closers].forEach((c) => c()));
    },
  });
  return [end(a, b), end(b, a)];
}

/** The worker's openChunk, run here: id against the manifest, then the AEAD. */
const openChunk: ChunkOpener = async (args) => {
  const chunk = new Uint8Array(args.chunk);
  if (chunkId(chunk) !== args.expectedId) throw new Error('integrity');
  const sealer = new ChunkSealer(args.contentKey, args.nodeId, args.revision, args.count);
  const plaintext = args.inPlace
    ? sealer.openInPlace(args.index, chunk)
    : sealer.open(args.index, chunk);
  return { plaintext, chunk: args.chunk };
};

const ROOM = 'R'.repeat(43);
const SESSION = new Uint8Array(32).fill(5);
const MiB = 1024 * 1024;

async function offerOf(file: SealedTestFile): Promise<Uint8Array> {
  return sealFileOffer(SESSION, ROOM, {
    nodeId: file.nodeId,
    revision: file.revision,
    name: 'test.bin',
    mime: null,
    size: file.size,
    manifest: file.manifest,
    contentKey: toBase64Url(file.contentKey),
  });
}

const receive = (channel: FrameChannel, sink: MemorySink, stallMs = 30_000) =>
  receiveTransfer(channel, {
    acceptOffer: pairedOfferCheck(SESSION, ROOM, openChunk),
    sink,
    stallMs,
  });

let file: SealedTestFile;
let other: SealedTestFile;
beforeAll(() => {
  file = sealedTestFile('transfer', 9 * MiB); // 3 chunks, the last one short
  other = sealedTestFile('another file', 9 * MiB);
});

describe('direct transfer sessions', () => {
  it('moves every chunk, verified, and both sides finish', async () => {
    const [tx, rx] = channelPair();
    const sink = new MemorySink();
    const asked: number[] = [];
    const sent = sendTransfer(tx, {
      sealedOffer: await offerOf(file),
      count: file.count,
      readChunk: async (i) => (asked.push(i), file.chunk(i)),
    });
    const held = await receive(rx, sink);
    await sent;
    expect(held.complete).toBe(true);
    expect(asked).toEqual([0, 1, 2]);
    for (let i = 0; i < file.count; i += 1) {
      expect(Buffer.from(sink.chunks.get(i)!).equals(file.plainChunk(i))).toBe(true);
    }
  });

  it('assembles later chunks in the buffers of verified ones, and they verify as well', async () => {
    const big = sealedTestFile('reused buffers', 22 * MiB); // 6 chunks, the last one short
    const [tx, rx] = channelPair();
    const sink = new MemorySink();
    const buffers = new Set<ArrayBuffer>();
    const sent = sendTransfer(tx, {
      sealedOffer: await offerOf(big),
      count: big.count,
      readChunk: async (i) => big.chunk(i),
    });
    const held = await receiveTransfer(rx, {
      acceptOffer: pairedOfferCheck(SESSION, ROOM, (args) => {
        buffers.add(args.chunk);
        return openChunk(args);
      }),
      sink,
      window: 2,
    });
    await sent;
    expect(held.complete).toBe(true);
    for (let i = 0; i < big.count; i += 1) {
      expect(Buffer.from(sink.chunks.get(i)!).equals(big.plainChunk(i))).toBe(true);
    }
    // Two chunks due at a time: the five full ones share at most three buffers; the short last
    // one has its own.
    expect(buffers.size).toBeLessThanOrEqual(4);
  });

  it('resumes from what the sink holds and asks only for the rest', async () => {
    const sink = new MemorySink();
    await sink.put(0, new Uint8Array(file.plainChunk(0)));
    const [tx, rx] = channelPair();
    const asked: number[] = [];
    const sent = sendTransfer(tx, {
      sealedOffer: await offerOf(file),
      count: file.count,
      readChunk: async (i) => (asked.push(i), file.chunk(i)),
    });
    await receive(rx, sink);
    await sent;
    expect(asked).toEqual([1, 2]);
  });

  it('a receiver that cannot store the file says so, not that the offer failed its check', async () => {
    const [tx, rx] = channelPair();
    const check = pairedOfferCheck(SESSION, ROOM, openChunk);
    const noRoom = new PeerTransferError('cancelled', 'No room to store the file.');
    const sent = sendTransfer(tx, {
      sealedOffer: await offerOf(file),
      count: file.count,
      readChunk: async (i) => file.chunk(i),
    }).catch((e: unknown) => e);
    const received = receiveTransfer(rx, {
      acceptOffer: async (sealed) => {
        await check(sealed); // the offer itself is sound
        throw noRoom;
      },
      sink: new MemorySink(),
    });
    await expect(received).rejects.toBe(noRoom);
    expect(await sent).toMatchObject({ code: 'cancelled', byPeer: true });
  });
});

/**
 * A scripted sender: hello and an honest offer, then `misbehave` answers the first request.
 * Resolves with the receiver's error and what it stored.
 */
async function against(
  misbehave: (send: (frame: Uint8Array) => void, request: number[]) => void,
  stallMs = 30_000,
) {
  const [evil, rx] = channelPair();
  const sink = new MemorySink();
  const fromReceiver: PeerFrame[] = [];
  let answered = false;
  evil.onFrame((bytes) => {
    const frame = decodeFrame(bytes);
    fromReceiver.push(frame);
    if (frame.type === 'request' && !answered) {
      answered = true;
      misbehave((f) => void evil.send(f), frame.indexes);
    }
  });
  void evil.send(encodeFrame({ type: 'hello', version: 1 }));
  for (const f of dataFrames('offer', (await offerOf(file)).length, await offerOf(file))) {
    void evil.send(f);
  }
  const error = await receive(rx, sink, stallMs).then(
    () => null,
    (e: unknown) => e,
  );
  await new Promise((resolve) => setTimeout(resolve, 20)); // the error frame is still in flight
  return { error: error as PeerTransferError, sink, fromReceiver };
}

const frames = (index: number, chunk: Uint8Array) => [...dataFrames('chunk', index, chunk)];

describe('a malicious sender is refused with a clear error and nothing wrong is stored', () => {
  it('a chunk of another file', async () => {
    const { error, sink } = await against((send) => frames(0, other.chunk(0)).forEach(send));
    expect(error.code).toBe('integrity');
    expect(error.message).toBe('Chunk 0 failed its integrity check.');
    expect(sink.chunks.size).toBe(0);
  });

  it('a chunk sent twice', async () => {
    const { error, sink } = await against((send) => {
      frames(0, file.chunk(0)).forEach(send);
      setTimeout(() => frames(0, file.chunk(0)).forEach(send), 200);
    });
    expect(error.message).toBe('The sender sent chunk 0 twice.');
    expect([...sink.chunks.keys()]).toEqual([0]); // the first copy verified; the duplicate never stored
  });

  it('bytes out of order', async () => {
    const { error, sink } = await against((send) => {
      const parts = frames(0, file.chunk(0));
      send(parts[1]!);
      send(parts[0]!);
    });
    expect(error.code).toBe('protocol');
    expect(error.message).toBe('The sender sent the bytes of chunk 0 out of order.');
    expect(sink.chunks.size).toBe(0);
  });

  it('a chunk that was not asked for', async () => {
    const { error } = await against((send) => frames(3, file.chunk(0)).forEach(send));
    expect(error.message).toBe('The sender sent chunk 3, which the file does not have.');
  });

  it('an oversized frame', async () => {
    const { error, fromReceiver } = await against((send) => {
      const big = new Uint8Array(64 * 1024);
      big[0] = 4;
      send(big);
    });
    expect(error.message).toMatch(
      /malformed message: message of 65536 bytes, over the 16 KiB limit/,
    );
    expect(fromReceiver.at(-1)).toMatchObject({ type: 'error', code: 'protocol' });
  });

  it('garbage', async () => {
    const { error } = await against((send) => send(Uint8Array.of(0xde, 0xad, 0xbe, 0xef)));
    expect(error.message).toBe('The sender sent a malformed message: unknown frame type 222.');
  });

  it('more bytes than the chunk holds', async () => {
    const { error, sink } = await against((send) => {
      const longer = new Uint8Array(file.chunk(0).length + 10);
      longer.set(file.chunk(0));
      frames(0, longer).forEach(send);
    });
    expect(error.message).toBe('The sender sent more bytes than chunk 0 holds.');
    expect(sink.chunks.size).toBe(0);
  });

  it('never the last chunk', async () => {
    const { error, sink } = await against((send) => {
      frames(0, file.chunk(0)).forEach(send);
      frames(1, file.chunk(1)).forEach(send);
      frames(2, file.chunk(2)).slice(0, 5).forEach(send); // stops short of chunk 2's end
    }, 300);
    expect(error.code).toBe('stalled');
    expect(error.message).toBe('The sender stopped sending (waiting for chunk 2).');
    expect([...sink.chunks.keys()].sort()).toEqual([0, 1]);
  });
});
