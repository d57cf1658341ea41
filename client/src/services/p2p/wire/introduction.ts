// Two peers meet in a room of the signal server and agree on a session key (format.md §13.3–13.5):
// shares first, then the sealed confirmations, then sealed WebRTC signals. The relay can drop
// messages but cannot read, alter, replay or redirect one without the attempt failing.
import type { Envelope, Handshake, SignalSession } from '@coffre/core/crypto/p2p';
import { p2pCrypto } from './p2p-crypto';
import type { SignalingClient } from './signaling';

/** How long the sender waits for the receiver's confirmation before the code is dropped. */
export const CONFIRM_TIMEOUT_MS = 60_000;

/** How long a receiver waits for the sender to show up in the room. */
const PEER_WAIT_MS = 15_000;

/**
 * A confirmed peer leaves the room once its side of WebRTC connects, and ours follows within a
 * round trip. If ours has not connected this long after, the peer gave up instead (one of our
 * signals did not open there, or it was cancelled): no reason to wait out the connect timeout.
 */
const GONE_GRACE_MS = 10_000;

export class PairingError extends Error {
  override name = 'PairingError';
  constructor(
    message: string,
    /** The other side's messages did not open: a wrong code, or tampering on the way. */
    readonly mismatch = false,
  ) {
    super(message);
  }
}

const mismatch = () =>
  new PairingError(
    'The pairing failed: wrong code, or a message was tampered with on the way.',
    true,
  );

/** The sealed signal path to one confirmed peer. */
export interface SecureSignals {
  readonly roomId: string;
  readonly sessionKey: Uint8Array;
  send(data: Record<string, unknown>): Promise<void>;
  /** WebRTC signals from the peer, in order; `onFailure` if any envelope does not open. */
  onSignal(handler: (data: Record<string, unknown>) => void): void;
  onFailure(handler: (error: PairingError) => void): void;
  /** Leaves the room: the relay is no longer needed once the data channel is open. */
  close(): void;
}

/**
 * Runs one introduction. The sender takes the first peer that shows up and no other (one guess per
 * code); the receiver takes the peer already in the room. Rejects with PairingError on a wrong
 * code, tampering, the peer leaving, or no confirmation within the timeout.
 */
export async function introduce(
  signaling: SignalingClient,
  handshake: Handshake,
  confirmTimeoutMs = CONFIRM_TIMEOUT_MS,
): Promise<SecureSignals> {
  const core = await p2pCrypto();
  const { roomId, role } = handshake;
  let peer: string | null = null;
  let session: SignalSession | null = null;
  let sessionKey: Uint8Array | null = null;
  let confirmed = false;
  let signalHandler: (data: Record<string, unknown>) => void = () => undefined;
  let failureHandler: (error: PairingError) => void = () => undefined;
  const early: Record<string, unknown>[] = [];
  const cleanups: (() => void)[] = [];

  let settle!: { resolve: () => void; reject: (error: PairingError) => void };
  const confirmation = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  const fail = (error: PairingError) => {
    if (confirmed) failureHandler(error);
    else settle.reject(error);
  };

  // Armed once a peer is engaged: the code stays open for as long as nobody has tried it.
  let timer: ReturnType<typeof setTimeout> | undefined;
  let goneTimer: ReturnType<typeof setTimeout> | undefined;
  const engage = (candidate: string) => {
    if (peer !== null) return;
    peer = candidate;
    timer = setTimeout(
      () => fail(new PairingError('The other device did not confirm the code in time.')),
      confirmTimeoutMs,
    );
    void signaling
      .send(roomId, candidate, core.encodeShare(handshake.share))
      .catch(() => fail(new PairingError('The signal server did not pass the pairing on.')));
  };

  const onEnvelope = (envelope: Envelope) => {
    if (envelope.kind === 'share') {
      if (session !== null) throw mismatch(); // a second share: not our peer's protocol
      sessionKey = handshake.finish(envelope.share);
      session = new core.SignalSession(sessionKey, roomId, role);
      void signaling
        .send(roomId, peer!, session.seal({ t: 'confirm' }))
        .catch(() => fail(new PairingError('The signal server did not pass the pairing on.')));
      return;
    }
    if (session === null) throw mismatch();
    const message = session.open(envelope);
    if (message.t === 'confirm') {
      confirmed = true;
      settle.resolve();
    } else if (confirmed) {
      signalHandler(message.data);
    } else {
      early.push(message.data);
    }
  };

  cleanups.push(
    signaling.onPeer('peer-joined', (room, joined) => {
      if (room === roomId) engage(joined);
    }),
    signaling.onPeer('peer-left', (room, left) => {
      if (room !== roomId || left !== peer) return;
      // After the exchange of shares, leaving unconfirmed is what a peer with another code does.
      if (!confirmed) {
        fail(session !== null ? mismatch() : new PairingError('The other device went away.'));
        return;
      }
      goneTimer ??= setTimeout(
        () => fail(new PairingError('The other device gave up before the connection was made.')),
        GONE_GRACE_MS,
      );
    }),
    signaling.onSignal(({ roomId: room, from, data }) => {
      if (room !== roomId) return;
      if (peer === null && role === 'sender') engage(from);
      if (from !== peer) return; // anyone else in the room is ignored
      try {
        onEnvelope(core.decodeEnvelope(data));
      } catch {
        fail(mismatch());
      }
    }),
  );
  const close = () => {
    clearTimeout(goneTimer);
    cleanups.splice(0).forEach((cleanup) => cleanup());
    signaling.leave(roomId);
  };

  const peers = await signaling.join(roomId);
  // The receiver takes the device already waiting, or the first to come within a short while
  // (the code may be typed before the sender's page reached the room).
  if (role === 'receiver' && peers.length > 0) engage(peers[0]!);
  const noPeer =
    role === 'receiver'
      ? setTimeout(() => {
          if (peer === null) fail(new PairingError('No device is waiting with that code.'));
        }, PEER_WAIT_MS)
      : undefined;
  try {
    await confirmation;
  } catch (error) {
    close();
    throw error;
  } finally {
    clearTimeout(timer);
    clearTimeout(noPeer);
  }

  const open = session as SignalSession | null;
  const to = peer as string | null;
  const key = sessionKey as Uint8Array | null;
  if (open === null || to === null || key === null) throw mismatch();
  return {
    roomId,
    sessionKey: key,
    async send(data) {
      await signaling.send(roomId, to, open.seal({ t: 'signal', data }));
    },
    onSignal(handler) {
      signalHandler = handler;
      early.splice(0).forEach((data) => handler(data));
    },
    onFailure(handler) {
      failureHandler = handler;
    },
    close,
  };
}
