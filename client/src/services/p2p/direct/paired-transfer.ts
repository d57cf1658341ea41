// A file handed from one device to another over a direct connection, introduced by a pairing
// code. The sender made the code and holds the file; the receiver typed the code.
import type { PeerOffer } from '@coffre/core/crypto/p2p';
import { type ChunkBitmap, encodeFrame } from '@coffre/core/protocol/peer-frames';
import type { DirectStep } from '../../contract';
import { introduce, type SecureSignals } from '../wire/introduction';
import { type ChunkOpener, pairedOfferCheck, sealFileOffer } from './offer';
import { p2pCrypto } from '../wire/p2p-crypto';
import { connectPeer, type PeerConnection } from '../wire/peer';
import { SignalingClient, fetchIceServers } from '../wire/signaling';
import { type ChunkSink, receiveTransfer } from '../wire/chunk-receiver';
import { sendTransfer } from '../wire/chunk-sender';
import { PeerTransferError } from '../wire/wire-errors';

export interface OfferedFile extends Omit<PeerOffer, 'v' | 'contentKey'> {
  contentKey: string;
  count: number;
}

/** Where a verified offer's chunks go: one sink for every file, or one chosen per offer. */
export type SinkChoice = ChunkSink | ((offer: PeerOffer) => Promise<ChunkSink>);

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

/**
 * One attempt of either side: reach the signal server, pair by the code, connect, then `use` the
 * connection. The connection ends once `use` settles, and the relay is left in every case.
 */
async function pairedAttempt<T>(
  options: {
    signalUrl: string;
    code: string;
    role: 'sender' | 'receiver';
    onStep?: (step: DirectStep) => void;
    signal?: AbortSignal;
  },
  use: (connection: PeerConnection, signals: SecureSignals) => Promise<T>,
): Promise<T> {
  const { signalUrl, code, role, onStep, signal } = options;
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
      const signals = await introduce(signaling, core.pairingHandshake(code, role));
      signal?.throwIfAborted();
      onStep?.('paired');
      const connection = await connectPeer(signals, role === 'sender', iceServers, signal);
      attemptConnection.opened(connection);
      try {
        signal?.throwIfAborted();
        onStep?.('connected');
        return await use(connection, signals);
      } finally {
        if (!signal?.aborted) await connection.end();
      }
    };
    return await abortable(attempt(), signal, stop);
  } finally {
    signaling.close();
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
  const { file, readChunk, onProgress } = options;
  await pairedAttempt({ ...options, role: 'sender' }, async (connection, signals) => {
    const { count, ...offer } = file;
    const sealedOffer = await sealFileOffer(signals.sessionKey, signals.roomId, offer);
    await sendTransfer(connection.frames, { sealedOffer, count, readChunk, onProgress });
  });
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
  const { code, openChunk, sink, onOffer, onProgress, stallMs } = options;
  // A malformed code never reaches the network.
  const canonical = (await p2pCrypto()).parsePairingCode(code);
  return pairedAttempt({ ...options, code: canonical, role: 'receiver' }, (connection, signals) => {
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
    return receiveTransfer(connection.frames, { acceptOffer, sink: perOffer, onProgress, stallMs });
  });
}
