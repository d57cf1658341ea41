// A file handed from one device to another over a direct connection, introduced by a pairing
// code. The sender made the code and holds the file; the receiver typed the code.
import type { PeerOffer } from '../../../../core/crypto/p2p';
import { type ChunkBitmap, encodeFrame } from '../../../../core/protocol/peer-frames';
import { introduce } from './introduction';
import { type ChunkOpener, pairedOfferCheck, sealFileOffer } from './offer';
import { p2pCrypto } from './p2p-crypto';
import { connectPeer, type PeerConnection } from './peer';
import { SignalingClient, fetchIceServers } from './signaling';
import { type ChunkSink, receiveTransfer } from './transfer-receiver';
import { sendTransfer } from './transfer-sender';
import { PeerTransferError } from './transfer-errors';

export interface OfferedFile extends Omit<PeerOffer, 'v' | 'contentKey'> {
  contentKey: string;
  count: number;
}

/** Where a verified offer's chunks go: one sink for every file, or one chosen per offer. */
export type SinkChoice = ChunkSink | ((offer: PeerOffer) => Promise<ChunkSink>);

/**
 * The steps of an attempt, for the person watching it: 'ready' (the sender reached the signal
 * server: its code can be shown), 'paired', 'connected'.
 */
export type DirectStep = 'ready' | 'paired' | 'connected';

/**
 * Settles with `work`, or rejects with the signal's reason once it aborts; `stop` then ends what
 * is open (the relay, the connection), so nothing keeps running behind a cancelled attempt.
 */
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined, stop: () => void) {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      stop();
      reject(signal.reason);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * The connection of one attempt. A cancel tells the peer (error 3) and closes, once, whether it
 * comes before the connection opened or after.
 */
class AttemptConnection {
  private connection: PeerConnection | null = null;
  private cancelled = false;
  private told = false;

  opened(connection: PeerConnection): void {
    this.connection = connection;
    if (this.cancelled) this.tell();
  }

  cancel(): void {
    this.cancelled = true;
    this.tell();
  }

  private tell(): void {
    const connection = this.connection;
    if (!connection || this.told) return;
    this.told = true;
    const frame = encodeFrame({
      type: 'error',
      code: 'cancelled',
      message: 'The person cancelled.',
    });
    void connection.frames
      .send(frame)
      .catch(() => undefined)
      .finally(() => void connection.end());
  }
}

export async function sendToDevice(options: {
  signalUrl: string;
  code: string;
  file: OfferedFile;
  readChunk: (index: number) => Promise<Uint8Array>;
  onProgress?: (acknowledged: number, count: number) => void;
  onStep?: (step: DirectStep) => void;
  signal?: AbortSignal;
}): Promise<void> {
  const { signalUrl, code, file, readChunk, onProgress, onStep, signal } = options;
  const core = await p2pCrypto();
  const [signaling, iceServers] = await Promise.all([
    SignalingClient.connect(signalUrl),
    fetchIceServers(signalUrl),
  ]);
  onStep?.('ready');
  const attemptConnection = new AttemptConnection();
  const stop = () => {
    signaling.close();
    attemptConnection.cancel();
  };
  try {
    const attempt = async () => {
      const signals = await introduce(signaling, core.pairingHandshake(code, 'sender'));
      signal?.throwIfAborted();
      onStep?.('paired');
      const connection = await connectPeer(signals, true, iceServers, signal);
      attemptConnection.opened(connection);
      try {
        signal?.throwIfAborted();
        onStep?.('connected');
        const { count, ...offer } = file;
        const sealedOffer = await sealFileOffer(signals.sessionKey, signals.roomId, offer);
        await sendTransfer(connection.frames, { sealedOffer, count, readChunk, onProgress });
      } finally {
        if (!signal?.aborted) await connection.end();
      }
    };
    await abortable(attempt(), signal, stop);
  } finally {
    signaling.close();
  }
}

export async function receiveFromDevice(options: {
  signalUrl: string;
  code: string;
  openChunk: ChunkOpener;
  sink: SinkChoice;
  onOffer?: (offer: PeerOffer) => void;
  onProgress?: (held: number, count: number) => void;
  onStep?: (step: DirectStep) => void;
  stallMs?: number;
  signal?: AbortSignal;
}): Promise<ChunkBitmap> {
  const { signalUrl, code, openChunk, sink, onOffer, onProgress, onStep, stallMs, signal } =
    options;
  const core = await p2pCrypto();
  const canonical = core.parsePairingCode(code); // a malformed code never reaches the network
  const [signaling, iceServers] = await Promise.all([
    SignalingClient.connect(signalUrl),
    fetchIceServers(signalUrl),
  ]);
  const attemptConnection = new AttemptConnection();
  const stop = () => {
    signaling.close();
    attemptConnection.cancel();
  };
  try {
    const attempt = async () => {
      const signals = await introduce(signaling, core.pairingHandshake(canonical, 'receiver'));
      signal?.throwIfAborted();
      onStep?.('paired');
      const connection = await connectPeer(signals, false, iceServers, signal);
      attemptConnection.opened(connection);
      try {
        signal?.throwIfAborted();
        onStep?.('connected');
        let offered: PeerOffer | null = null;
        let chosen: ChunkSink | null = typeof sink === 'function' ? null : sink;
        const check = pairedOfferCheck(signals.sessionKey, signals.roomId, openChunk, (offer) => {
          offered = offer;
          onOffer?.(offer);
        });
        const acceptOffer = async (sealed: Uint8Array) => {
          const verified = await check(sealed);
          if (typeof sink === 'function') {
            chosen = await sink(offered!).catch(() => {
              throw new PeerTransferError(
                'cancelled',
                'This browser could not make room to store the file (its storage may be full, or blocked in a private window).',
              );
            });
          }
          return verified;
        };
        // The transfer asks the sink what it holds only once the offer was accepted.
        const perOffer: ChunkSink = {
          held: () => chosen!.held(),
          put: (index, plaintext) => chosen!.put(index, plaintext),
        };
        return await receiveTransfer(connection.frames, {
          acceptOffer,
          sink: perOffer,
          onProgress,
          stallMs,
        });
      } finally {
        if (!signal?.aborted) await connection.end();
      }
    };
    return await abortable(attempt(), signal, stop);
  } finally {
    signaling.close();
  }
}
