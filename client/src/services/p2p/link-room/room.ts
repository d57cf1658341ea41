// A link's room on the signal server (format.md §13.7): many peers, each pair introduced on its
// own with fresh nonces under the link's signaling key. A peer that joins later introduces itself
// (the receiver, fetching chunks); a peer already there answers (the sender, serving them). Every
// signal after the nonces is sealed per pair, so the relay can only drop messages: a pair whose
// envelope fails to open is abandoned, and the other pairs carry on.
import type { Envelope, Handshake, SignalSession } from '@coffre/core/crypto/p2p';
import { DEFAULT_ROOM_SIZE } from '@coffre/core/format';
import { PairingError, type SecureSignals } from '../wire/introduction';
import { p2pCrypto, type P2pCrypto } from '../wire/p2p-crypto';
import { connectPeer, type PeerConnection } from '../wire/peer';
import type { SignalingClient } from '../wire/signaling';

/** How long a pair may take from the first nonce to the confirmation. */
const CONFIRM_TIMEOUT_MS = 15_000;

const TAMPERED = 'A message in the link room failed its check.';

interface Pair {
  readonly peerId: string;
  readonly handshake: Handshake;
  session: SignalSession | null;
  sessionKey: Uint8Array | null;
  confirmed: boolean;
  /** Once the data channel is open (or the attempt failed), signals are no longer read. */
  finished: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  onConfirmed: () => void;
  onSignal: (data: Record<string, unknown>) => void;
  onFailure: (error: PairingError) => void;
  early: Record<string, unknown>[];
  fail(error: PairingError): void;
}

export interface LinkRoomOptions {
  signaling: SignalingClient;
  roomId: string;
  signalingKey: Uint8Array;
  iceServers: RTCIceServer[];
  /** A later peer introduced itself and its channel opened. Without it, nobody is answered. */
  onReceiver?: (connection: PeerConnection) => void;
}

export class LinkRoom {
  readonly #options: LinkRoomOptions;
  readonly #core: P2pCrypto;
  readonly #pairs = new Map<string, Pair>();
  readonly #cleanups: (() => void)[] = [];
  #closed = false;

  private constructor(options: LinkRoomOptions, core: P2pCrypto) {
    this.#options = options;
    this.#core = core;
    const { signaling, roomId } = options;
    this.#cleanups.push(
      signaling.onSignal(({ roomId: room, from, data }) => {
        if (room === roomId) this.#onSignal(from, data);
      }),
      signaling.onPeer('peer-left', (room, peer) => {
        if (room !== roomId) return;
        this.#pairs.get(peer)?.fail(new PairingError('The other peer left the room.'));
        this.#pairs.delete(peer);
      }),
    );
  }

  /** Joins the room; resolves with the room and the peers already in it (oldest first). */
  static async join(options: LinkRoomOptions): Promise<{ room: LinkRoom; peers: string[] }> {
    const room = new LinkRoom(options, await p2pCrypto());
    try {
      const peers = await options.signaling.join(options.roomId);
      return { room, peers };
    } catch (error) {
      room.close();
      throw error;
    }
  }

  /** Introduces this page to a peer already in the room, as the receiver; resolves once connected. */
  connectTo(peerId: string): Promise<PeerConnection> {
    if (this.#closed || this.#pairs.has(peerId) || this.#pairs.size >= DEFAULT_ROOM_SIZE) {
      return Promise.reject(new PairingError('That peer cannot be introduced now.'));
    }
    const { roomId, signalingKey } = this.#options;
    const pair = this.#newPair(peerId, this.#core.linkHandshake(roomId, signalingKey, 'receiver'));
    const connected = this.#connectWhenConfirmed(pair, false);
    void this.#send(pair, this.#core.encodeShare(pair.handshake.share));
    return connected;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#cleanups.splice(0).forEach((cleanup) => cleanup());
    for (const pair of this.#pairs.values()) pair.fail(new PairingError('The room was left.'));
    this.#pairs.clear();
    this.#options.signaling.leave(this.#options.roomId);
  }

  #newPair(peerId: string, handshake: Handshake): Pair {
    const pair: Pair = {
      peerId,
      handshake,
      session: null,
      sessionKey: null,
      confirmed: false,
      finished: false,
      timer: undefined,
      onConfirmed: () => undefined,
      onSignal: (data) => pair.early.push(data),
      onFailure: () => undefined,
      early: [],
      fail: (error) => {
        if (pair.finished) return;
        pair.finished = true;
        clearTimeout(pair.timer);
        pair.onFailure(error);
      },
    };
    pair.timer = setTimeout(
      () => pair.fail(new PairingError('The other peer did not confirm in time.')),
      CONFIRM_TIMEOUT_MS,
    );
    this.#pairs.set(peerId, pair);
    return pair;
  }

  /** Resolves with the data channel once the pair is confirmed and WebRTC connected. */
  #connectWhenConfirmed(pair: Pair, initiator: boolean): Promise<PeerConnection> {
    return new Promise((resolve, reject) => {
      pair.onFailure = reject;
      pair.onConfirmed = () => {
        clearTimeout(pair.timer);
        const signals = this.#secureSignals(pair);
        // A browser without WebRTC throws at once: that is a failed connection, not tampering.
        Promise.resolve()
          .then(() => connectPeer(signals, initiator, this.#options.iceServers))
          .then(resolve, () => {
            const error = new PairingError('No direct connection could be made.');
            pair.fail(error);
            reject(error);
          });
      };
    });
  }

  #secureSignals(pair: Pair): SecureSignals {
    const { roomId } = this.#options;
    return {
      roomId,
      sessionKey: pair.sessionKey!,
      send: (data) => this.#send(pair, pair.session!.seal({ t: 'signal', data })),
      onSignal: (handler) => {
        pair.onSignal = handler;
        pair.early.splice(0).forEach((data) => handler(data));
      },
      onFailure: (handler) => {
        pair.onFailure = handler;
      },
      // Connected: this pair's signals are done, but the room stays joined for other peers.
      close: () => {
        pair.finished = true;
      },
    };
  }

  /** Socket.IO keeps the order of emits, so sends need not wait for each other's ack. */
  #send(pair: Pair, data: string): Promise<void> {
    return this.#options.signaling
      .send(this.#options.roomId, pair.peerId, data)
      .catch(() => pair.fail(new PairingError('The signal server did not pass the message on.')));
  }

  #onSignal(from: string, data: string): void {
    if (this.#closed) return;
    const core = this.#core;
    let envelope: Envelope;
    try {
      envelope = core.decodeEnvelope(data);
    } catch {
      this.#pairs.get(from)?.fail(new PairingError(TAMPERED));
      return;
    }
    let pair = this.#pairs.get(from);
    if (pair === undefined) {
      // An unknown peer's first message must be its nonce, and only a serving page answers it.
      const { onReceiver, roomId, signalingKey } = this.#options;
      if (!onReceiver || envelope.kind !== 'share' || this.#pairs.size >= DEFAULT_ROOM_SIZE) return;
      pair = this.#newPair(from, core.linkHandshake(roomId, signalingKey, 'sender'));
      this.#connectWhenConfirmed(pair, true).then(onReceiver, () => undefined);
    }
    if (pair.finished) return;
    try {
      this.#onEnvelope(pair, envelope);
    } catch {
      pair.fail(new PairingError(TAMPERED));
    }
  }

  #onEnvelope(pair: Pair, envelope: Envelope): void {
    const core = this.#core;
    const { roomId } = this.#options;
    const role = pair.handshake.role;
    if (envelope.kind === 'share') {
      if (pair.session !== null) throw new PairingError(TAMPERED); // one nonce per pair
      pair.sessionKey = pair.handshake.finish(envelope.share);
      pair.session = new core.SignalSession(pair.sessionKey, roomId, role);
      if (role === 'sender') {
        // The receiver spoke first: answer with our nonce, then our confirmation, in that order.
        void this.#send(pair, core.encodeShare(pair.handshake.share));
        void this.#send(pair, pair.session.seal({ t: 'confirm' }));
      }
      return;
    }
    if (pair.session === null) throw new PairingError(TAMPERED);
    const message = pair.session.open(envelope);
    if (message.t === 'confirm') {
      // The receiver confirms after the sender's confirmation opened; the sender then starts WebRTC.
      if (role === 'receiver') void this.#send(pair, pair.session.seal({ t: 'confirm' }));
      pair.confirmed = true;
      pair.onConfirmed();
    } else if (pair.confirmed) {
      pair.onSignal(message.data);
    } else {
      throw new PairingError(TAMPERED);
    }
  }
}
