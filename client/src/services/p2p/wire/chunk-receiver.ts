// The receiver's side of a direct transfer (protocol.md, "Peer messages"). It trusts nothing the
// sender says: every frame is decoded strictly, every chunk byte must be one it asked for, in
// order and within the size the verified manifest gives, and each chunk is verified before it
// reaches the sink. Any fault ends the transfer with a clear error; what was stored stays valid.
import {
  ChunkBitmap,
  PEER_PROTOCOL_VERSION,
  PeerProtocolError,
  decodeFrame,
  encodeFrame,
  type PeerFrame,
} from '@coffre/core/protocol/peer-frames';
import { MAX_SEALED_OFFER } from '@coffre/core/format';
import type { FrameChannel } from './frame-channel';
import { PeerTransferError } from './wire-errors';

/** What the receiver learns from a verified offer. */
export interface VerifiedOffer {
  count: number;
  /** Exact sealed length of chunk `index` (from the manifest's size). */
  chunkLength(index: number): number;
  /**
   * Checks one chunk (length, id, AEAD); throws on any fault. It takes the chunk's buffer (which
   * must be exactly the chunk) and hands it back with the plaintext, which may be in it, for the
   * next chunk to reuse once the plaintext is stored.
   */
  openChunk(
    index: number,
    chunk: Uint8Array<ArrayBuffer>,
  ): Promise<{ plaintext: Uint8Array<ArrayBuffer>; chunk: Uint8Array<ArrayBuffer> }>;
}

/** Where verified chunks go. Another attempt resumes from what `held` reports. */
export interface ChunkSink {
  held(): Promise<Iterable<number>>;
  /** The plaintext's bytes are reused once this resolves: a sink that keeps them copies them. */
  put(index: number, plaintext: Uint8Array<ArrayBuffer>): Promise<void>;
}

export interface ReceiveOptions {
  /**
   * Opens the sealed offer and verifies its manifest; throws if anything is wrong. A
   * PeerTransferError is passed on as it is; anything else means the offer failed its check.
   */
  acceptOffer: (sealedOffer: Uint8Array) => Promise<VerifiedOffer>;
  sink: ChunkSink;
  /** Chunks requested and not yet acknowledged. */
  window?: number;
  /** How long chunks may be due without a byte arriving. */
  stallMs?: number;
  onProgress?: (held: number, count: number) => void;
}

interface Assembly {
  bytes: Uint8Array<ArrayBuffer>;
  received: number;
  /** All bytes arrived; the buffer has moved to a worker to be verified. */
  complete: boolean;
}

export function receiveTransfer(
  channel: FrameChannel,
  options: ReceiveOptions,
): Promise<ChunkBitmap> {
  const { acceptOffer, sink, window = 4, stallMs = 30_000, onProgress } = options;
  let offerBytes: Uint8Array | null = null;
  let offerReceived = 0;
  let offer: VerifiedOffer | null = null;
  let held: ChunkBitmap | null = null;
  const due = new Map<number, Assembly | null>(); // requested, not yet verified
  let nextMissing = 0;
  let finished = false;
  let stallTimer: ReturnType<typeof setTimeout> | undefined;
  let verifying = Promise.resolve();
  // Buffers of verified chunks, to assemble later ones in: a fresh 4 MiB buffer per chunk cost
  // the receiving thread more than all its other work (its pages are first written by the frame
  // copies; bench/p2p profile). A reused buffer is overwritten whole, frame by frame in order,
  // before it is verified again, so nothing of an earlier chunk can pass for this one.
  const spare: Uint8Array<ArrayBuffer>[] = [];
  const bufferFor = (length: number) =>
    spare.at(-1)?.length === length ? spare.pop()! : new Uint8Array(length);

  return new Promise<ChunkBitmap>((resolve, reject) => {
    const stop = () => {
      finished = true;
      clearTimeout(stallTimer);
    };
    const fail = (error: PeerTransferError, tell: boolean) => {
      if (finished) return;
      stop();
      if (tell) {
        const code = error.code === 'stalled' || error.code === 'closed' ? 'cancelled' : error.code;
        void channel
          .send(encodeFrame({ type: 'error', code, message: error.message }))
          .catch(() => undefined)
          .finally(() => channel.close());
      }
      reject(error);
    };
    const protocol = (message: string) => fail(new PeerTransferError('protocol', message), true);
    const send = (frame: PeerFrame) =>
      channel
        .send(encodeFrame(frame))
        .catch(() => fail(new PeerTransferError('closed', 'The connection closed.'), false));

    /** Chunks asked for whose bytes have not all arrived (a complete one is being verified). */
    const awaited = () => [...due].filter(([, a]) => a === null || !a.complete).map(([i]) => i);
    // Progress only stamps the time: re-arming a timer for each of the 64 frames of every MiB
    // cost a fifth of the receiving thread (bench/p2p profile). One timer checks the stamp.
    let lastProgress = 0;
    const checkStall = () => {
      stallTimer = undefined;
      if (finished) return;
      const waiting = awaited();
      if (waiting.length === 0) return;
      const quiet = performance.now() - lastProgress;
      if (quiet < stallMs) {
        stallTimer = setTimeout(checkStall, stallMs - quiet);
        return;
      }
      fail(
        new PeerTransferError(
          'stalled',
          `The sender stopped sending (waiting for chunk ${waiting.join(', ')}).`,
        ),
        true,
      );
    };
    const armStall = () => {
      lastProgress = performance.now();
      if (!finished && stallTimer === undefined) stallTimer = setTimeout(checkStall, stallMs);
    };

    const requestMore = () => {
      if (!held || finished) return;
      const indexes: number[] = [];
      while (due.size + indexes.length < window && nextMissing < held.count) {
        if (!held.has(nextMissing)) indexes.push(nextMissing);
        nextMissing += 1;
      }
      for (const index of indexes) due.set(index, null);
      if (indexes.length > 0) void send({ type: 'request', indexes });
      armStall();
    };

    const finishIfComplete = () => {
      if (!held || !held.complete || finished) return;
      stop();
      void send({ type: 'done' }).finally(() => resolve(held!));
    };

    const startChunks = async () => {
      held = new ChunkBitmap(offer!.count);
      for (const index of await sink.held()) held.set(index);
      if (finished) return;
      if (held.held > 0)
        for (const frame of held.frames()) void channel.send(frame).catch(() => undefined);
      onProgress?.(held.held, held.count);
      finishIfComplete();
      requestMore();
    };

    const onOffer = (frame: Extract<PeerFrame, { type: 'offer' }>) => {
      if (offer !== null || (offerBytes === null && frame.offset !== 0)) {
        return protocol('The sender sent its offer out of order.');
      }
      if (offerBytes === null) {
        if (frame.total === 0 || frame.total > MAX_SEALED_OFFER)
          return protocol('The offer is too large.');
        offerBytes = new Uint8Array(frame.total);
      }
      if (frame.total !== offerBytes.length || frame.offset !== offerReceived) {
        return protocol('The sender sent its offer out of order.');
      }
      if (frame.data.length > offerBytes.length - offerReceived)
        return protocol('The offer is longer than announced.');
      offerBytes.set(frame.data, offerReceived);
      offerReceived += frame.data.length;
      if (offerReceived < offerBytes.length) return;
      const sealed = offerBytes;
      acceptOffer(sealed).then(
        (accepted) => {
          if (finished) return;
          offer = accepted;
          void startChunks().catch(() =>
            fail(
              new PeerTransferError('cancelled', 'The received chunks could not be read.'),
              true,
            ),
          );
        },
        (error: unknown) =>
          fail(
            // The offer's own check says what else went wrong (say, no room to store the file).
            error instanceof PeerTransferError
              ? error
              : new PeerTransferError('integrity', 'The offered file failed its integrity check.'),
            true,
          ),
      );
    };

    const onChunk = (frame: Extract<PeerFrame, { type: 'chunk' }>) => {
      if (!offer || !held) return protocol('The sender sent a chunk before its offer.');
      const { index } = frame;
      if (index >= offer.count)
        return protocol(`The sender sent chunk ${index}, which the file does not have.`);
      if (held.has(index)) return protocol(`The sender sent chunk ${index} twice.`);
      if (!due.has(index))
        return protocol(`The sender sent chunk ${index}, which was not asked for.`);
      let assembly = due.get(index)!;
      if (assembly?.complete) {
        return protocol(`The sender sent chunk ${index} twice.`); // the first copy is being verified
      }
      if (assembly === null) {
        assembly = {
          bytes: bufferFor(offer.chunkLength(index)),
          received: 0,
          complete: false,
        };
        due.set(index, assembly);
      }
      if (frame.offset !== assembly.received) {
        return protocol(`The sender sent the bytes of chunk ${index} out of order.`);
      }
      if (frame.data.length > assembly.bytes.length - assembly.received) {
        return protocol(`The sender sent more bytes than chunk ${index} holds.`);
      }
      assembly.bytes.set(frame.data, assembly.received);
      assembly.received += frame.data.length;
      armStall();
      if (assembly.received === assembly.bytes.length) {
        assembly.complete = true; // no more bytes accepted
        const chunk = assembly.bytes;
        verifying = verifying.then(() => verifyAndStore(index, chunk));
      }
    };

    const verifyAndStore = async (index: number, chunk: Uint8Array<ArrayBuffer>) => {
      if (finished) return;
      let opened: Awaited<ReturnType<VerifiedOffer['openChunk']>>;
      try {
        opened = await offer!.openChunk(index, chunk);
      } catch {
        return fail(
          new PeerTransferError('integrity', `Chunk ${index} failed its integrity check.`),
          true,
        );
      }
      if (finished) return;
      try {
        await sink.put(index, opened.plaintext);
      } catch {
        return fail(
          new PeerTransferError('cancelled', `Chunk ${index} could not be stored.`),
          true,
        );
      }
      if (finished) return;
      if (spare.length < window) spare.push(opened.chunk);
      held!.set(index);
      due.delete(index);
      void send({ type: 'ack', index });
      onProgress?.(held!.held, held!.count);
      finishIfComplete();
      requestMore();
    };

    const handle = (frame: PeerFrame) => {
      switch (frame.type) {
        case 'hello':
          if (frame.version !== PEER_PROTOCOL_VERSION)
            protocol('The other device speaks another version.');
          return;
        case 'offer':
          return onOffer(frame);
        case 'chunk':
          return onChunk(frame);
        case 'error':
          return fail(
            new PeerTransferError(frame.code, `The sender stopped: ${frame.message}`, true),
            false,
          );
        default:
          return protocol(`Unexpected ${frame.type} frame from the sender.`);
      }
    };

    channel.onFrame((bytes) => {
      if (finished) return;
      try {
        handle(decodeFrame(bytes));
      } catch (error) {
        if (error instanceof PeerProtocolError)
          protocol(`The sender sent a malformed message: ${error.message}.`);
        else throw error;
      }
    });
    channel.onClose(() =>
      fail(new PeerTransferError('closed', 'The connection closed before the end.'), false),
    );
    void send({ type: 'hello', version: PEER_PROTOCOL_VERSION });
  });
}
