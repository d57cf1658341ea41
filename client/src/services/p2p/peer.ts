// One WebRTC connection to a confirmed peer. simple-peer does the negotiation (offer/answer,
// trickle ICE) over the sealed signals; the data channel it opens is then driven by our own flow
// control (ADR 0006), because simple-peer's sending either has no backpressure (`send`) or caps
// the queue at 64 KiB (`write`).
import SimplePeer from 'simple-peer';
import { DataChannelFrames, type FrameChannel } from './frame-channel';
import type { SecureSignals } from './introduction';

export interface PeerConnection {
  frames: FrameChannel;
  destroy(): void;
}

const CONNECT_TIMEOUT_MS = 30_000;

/** The sender (who holds the file) starts WebRTC; the receiver answers. */
export function connectPeer(
  signals: SecureSignals,
  initiator: boolean,
  iceServers: RTCIceServer[],
): Promise<PeerConnection> {
  const peer = new SimplePeer({ initiator, trickle: true, config: { iceServers } });
  let deliver: (frame: Uint8Array) => void = () => undefined;
  peer.on('signal', (data) => {
    void signals.send(data as unknown as Record<string, unknown>).catch(() => peer.destroy());
  });
  signals.onSignal((data) => {
    try {
      peer.signal(data as unknown as SimplePeer.SignalData);
    } catch {
      peer.destroy(new Error('The other device sent a signal that does not fit.'));
    }
  });
  signals.onFailure((error) => peer.destroy(error));
  // Flowing mode: simple-peer's stream never buffers what we have not read.
  peer.on('data', (data: Uint8Array) => deliver(data));

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      peer.destroy();
      reject(new Error('No direct connection could be made to the other device.'));
    }, CONNECT_TIMEOUT_MS);
    peer.once('error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
    peer.once('connect', () => {
      clearTimeout(timer);
      signals.close();
      // simple-peer keeps its channel private; it is the one RTCDataChannel of this connection.
      const channel = (peer as unknown as { _channel: RTCDataChannel })._channel;
      const frames = new DataChannelFrames(channel, (handler) => (deliver = handler));
      resolve({ frames, destroy: () => peer.destroy() });
    });
  });
}
