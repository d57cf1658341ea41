// The sender's side of a direct transfer (protocol.md, "Peer messages"): hello, the sealed offer,
// then each requested chunk in request order, read from the caller's source. It never sends
// anything it was not asked for, and ends on any frame it does not expect.
import { MAX_FRAME_BYTES, MAX_REQUEST_INDEXES } from '@coffre/core/format';
import {
  PEER_PROTOCOL_VERSION,
  PeerProtocolError,
  dataFrames,
  decodeFrame,
  encodeFrame,
  type PeerFrame,
} from '@coffre/core/protocol/peer-frames';
import type { FrameChannel } from './frame-channel';
import { PeerTransferError } from './wire-errors';

export interface SendOptions {
  /** The sealed offer (format.md §13.6). */
  sealedOffer: Uint8Array;
  count: number;
  /** One sealed chunk as stored (drive, cache); its bytes are sent as they are. */
  readChunk: (index: number) => Promise<Uint8Array>;
  /** Chunks the receiver confirmed, out of `count`. */
  onProgress?: (acknowledged: number, count: number) => void;
}

export function sendTransfer(channel: FrameChannel, options: SendOptions): Promise<void> {
  const { sealedOffer, count, readChunk, onProgress } = options;
  const queue: number[] = [];
  const sent = new Set<number>();
  let acknowledged = 0;
  let serving = false;
  let finished = false;

  return new Promise<void>((resolve, reject) => {
    const fail = (error: PeerTransferError, tell: boolean) => {
      if (finished) return;
      finished = true;
      if (tell && error.code !== 'closed' && error.code !== 'stalled') {
        void channel
          .send(encodeFrame({ type: 'error', code: error.code, message: error.message }))
          .catch(() => undefined);
      }
      reject(error);
    };
    const protocol = (message: string) => fail(new PeerTransferError('protocol', message), true);

    /** Reads a chunk, turning a failure into the `unavailable` error the receiver is told. */
    const read = (index: number) =>
      readChunk(index).then(
        (chunk) => ({ index, chunk }),
        () => ({ index, chunk: null }),
      );

    // One chunk is read ahead while the current one is sent: the 1 MiB in the channel lasts
    // only tens of milliseconds on a fast link, less than reading (or sealing) a 4 MiB chunk.
    const serve = async () => {
      if (serving) return;
      serving = true;
      const scratch = new Uint8Array(MAX_FRAME_BYTES); // each frame is sent before the next is written
      try {
        let next = queue.length > 0 ? read(queue.shift()!) : null;
        while (next !== null && !finished) {
          const { index, chunk } = await next;
          next = queue.length > 0 ? read(queue.shift()!) : null;
          if (chunk === null) {
            fail(new PeerTransferError('unavailable', `Chunk ${index} could not be read.`), true);
            return;
          }
          sent.add(index);
          for (const frame of dataFrames('chunk', index, chunk, scratch)) {
            if (finished) return;
            await channel.send(frame);
          }
          if (next === null && queue.length > 0) next = read(queue.shift()!);
        }
      } catch {
        fail(new PeerTransferError('closed', 'The connection closed.'), false);
      } finally {
        serving = false;
      }
    };

    const handle = (frame: PeerFrame) => {
      switch (frame.type) {
        case 'hello':
          if (frame.version !== PEER_PROTOCOL_VERSION)
            protocol('The other device speaks another version.');
          return;
        case 'have':
          return; // the receiver's own bookkeeping; it requests what it misses
        case 'request':
          if (frame.indexes.length > MAX_REQUEST_INDEXES || frame.indexes.some((i) => i >= count)) {
            return protocol('The receiver asked for a chunk the file does not have.');
          }
          queue.push(...frame.indexes);
          void serve();
          return;
        case 'ack':
          if (!sent.has(frame.index))
            return protocol(`The receiver acknowledged chunk ${frame.index}, which was not sent.`);
          sent.delete(frame.index);
          acknowledged += 1;
          onProgress?.(acknowledged, count);
          return;
        case 'done':
          finished = true;
          resolve();
          return;
        case 'error':
          return fail(new PeerTransferError(frame.code, frame.message, true), false);
        default:
          return protocol(`Unexpected ${frame.type} frame from the receiver.`);
      }
    };

    channel.onFrame((bytes) => {
      if (finished) return;
      try {
        handle(decodeFrame(bytes));
      } catch (error) {
        if (error instanceof PeerProtocolError) protocol(error.message);
        else throw error;
      }
    });
    channel.onClose(() =>
      fail(new PeerTransferError('closed', 'The connection closed before the end.'), false),
    );

    void (async () => {
      try {
        await channel.send(encodeFrame({ type: 'hello', version: PEER_PROTOCOL_VERSION }));
        for (const frame of dataFrames('offer', sealedOffer.length, sealedOffer)) {
          await channel.send(frame);
        }
      } catch {
        fail(new PeerTransferError('closed', 'The connection closed.'), false);
      }
    })();
  });
}
