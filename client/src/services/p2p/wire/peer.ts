// One WebRTC connection to a confirmed peer. simple-peer does the negotiation (offer/answer,
// trickle ICE) over the sealed signals; the data channel it opens is then driven by our own flow
// control (ADR 0006), because simple-peer's sending either has no backpressure (`send`) or caps
// the queue at 64 KiB (`write`).
import SimplePeer from 'simple-peer';
import { DataChannelFrames, type FrameChannel } from './frame-channel';
import type { SecureSignals } from './introduction';

export interface PeerConnection {
  frames: FrameChannel;
  /** Lets every queued frame (a last `done` or `error`) reach the peer, then closes. */
  end(): Promise<void>;
  destroy(): void;
}

/** How long a closing channel may take to deliver what it still holds. */
const DRAIN_TIMEOUT_MS = 5_000;

const CONNECT_TIMEOUT_MS = 30_000;

/** No connection within the timeout, or the other side closed before one was made. */
export class NoConnectionError extends Error {
  override name = 'NoConnectionError';
  constructor() {
    super('No direct connection could be made to the other device.');
  }
}

/**
 * The sender (who holds the file) starts WebRTC; the receiver answers. An abort while connecting
 * ends the attempt at once: a cancelled connection must not linger until its timeout.
 */
export function connectPeer(
  signals: SecureSignals,
  initiator: boolean,
  iceServers: RTCIceServer[],
  signal?: AbortSignal,
): Promise<PeerConnection> {
  const peer = new SimplePeer({ initiator, trickle: true, config: { iceServers } });
  // 'data' can come before our own 'connect' event: keep it until the channel wrapper exists.
  const early: Uint8Array[] = [];
  let deliver: (frame: Uint8Array) => void = (frame) => early.push(frame);
  peer.on('signal', (data) => {
    // A signal that does not get through is not a failed connection: the peer leaves the room as
    // soon as its own side connects, so candidates this side finds later find nobody, and are not
    // needed. A connection that truly lacks a signal fails by the connect timeout.
    void signals.send(data as unknown as Record<string, unknown>).catch(() => undefined);
  });
  signals.onSignal((data) => {
    try {
      peer.signal(data as unknown as SimplePeer.SignalData);
    } catch {
      peer.destroy(new Error('The other device sent a signal that does not fit.'));
    }
  });
  signals.onFailure((error) => peer.destroy(error));
  // Until 'connect', messages come through simple-peer's 'data' event (flowing mode, so its
  // stream never buffers); they can arrive before our own 'connect' fires.
  peer.on('data', (data: Uint8Array) => deliver(data));

  return new Promise((resolve, reject) => {
    const settled = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const giveUp = (reason: unknown) => {
      settled();
      peer.destroy();
      reject(reason);
    };
    const onAbort = () => giveUp(signal!.reason);
    const noConnection = () => giveUp(new NoConnectionError());
    const timer = setTimeout(noConnection, CONNECT_TIMEOUT_MS);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    peer.once('error', (error: Error) => {
      settled();
      reject(error);
    });
    // Closed before it connected (the other side gave up): no reason to wait for the timeout.
    peer.once('close', noConnection);
    peer.once('connect', () => {
      settled();
      peer.off('close', noConnection);
      signals.close();
      // simple-peer keeps its channel private; it is the one RTCDataChannel of this connection.
      const channel = (peer as unknown as { _channel: RTCDataChannel })._channel;
      const frames = new DataChannelFrames(channel, (handler) => {
        // From here on we read the channel ourselves: simple-peer's path copies every message
        // through its stream and Buffer shims, which measurably slowed the transfer (ADR 0006).
        channel.onmessage = null;
        channel.addEventListener('message', ({ data }) => {
          if (data instanceof ArrayBuffer) handler(new Uint8Array(data));
          else handler(new Uint8Array(0)); // a text message: refused as an empty frame
        });
        deliver = handler;
        early.splice(0).forEach(handler);
      });
      // However the connection ends (the other side, a failure, our own destroy), the transfer
      // on it hears so.
      peer.once('close', () => frames.closed());
      resolve({
        frames,
        destroy: () => peer.destroy(),
        async end() {
          // A data channel delivers everything sent before its close; closing the whole
          // connection at once would drop what is still queued.
          if (channel.readyState === 'open') {
            await new Promise<void>((done) => {
              const timer = setTimeout(done, DRAIN_TIMEOUT_MS);
              channel.addEventListener('close', () => (clearTimeout(timer), done()), {
                once: true,
              });
              channel.close();
            });
          }
          peer.destroy();
        },
      });
    });
  });
}
