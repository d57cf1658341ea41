// A link page's place in its link's room (format.md §13.7): it connects to at most 3 peers that
// were there before it and fetches chunks they hold, at most 2 due per peer; it also serves the
// verified chunks it keeps (seed-cache.ts) to peers that come after it. Chunk 0 and every
// chunk no live peer holds come from the server; so does any chunk whose peer fails (a fault,
// a stall, bytes that do not verify), and that peer is dropped.
import type { ChunkPeers, PeerChunk, PeerFile } from '../../downloads/chunk-peers';
import { LinkSeedCache } from './seed-cache';
import { PeerChunkError, SeederPeer } from './fetching-peer';
import { LinkRoom } from './room';
import { serveLinkPeer } from './seeder';
import { p2pCrypto } from '../wire/p2p-crypto';
import type { PeerConnection } from '../wire/peer';
import { signalServerUrl } from '../wire/signal-config';
import { SignalingClient, fetchIceServers } from '../wire/signaling';

export const MAX_SEEDERS = 3;
/** How long a download waits for introductions already under way before it starts. */
const READY_WAIT_MS = 5_000;

export class LinkSwarm {
  readonly #seeders: SeederPeer[] = [];
  readonly #candidates: string[];
  readonly #connecting = new Set<Promise<void>>();
  readonly #cache = new LinkSeedCache();
  /** Connections of later peers this page serves. */
  readonly #served = new Set<PeerConnection>();
  #waiters: (() => void)[] = [];
  #closed = false;

  private constructor(
    private readonly room: LinkRoom,
    private readonly signaling: SignalingClient,
    peers: string[],
  ) {
    this.#candidates = [...peers];
    this.#connectMore();
  }

  /** Joins the link's room; null when no signal server is deployed or it cannot be reached. */
  static async open(linkKey: string): Promise<LinkSwarm | null> {
    const signalUrl = await signalServerUrl().catch(() => null);
    if (signalUrl === null) return null;
    const core = await p2pCrypto();
    const { roomId, signalingKey } = core.linkRoom(linkKey);
    let signaling: SignalingClient;
    try {
      signaling = await SignalingClient.connect(signalUrl);
    } catch {
      return null; // the download simply takes everything from the server
    }
    try {
      const iceServers = await fetchIceServers(signalUrl);
      let swarm: LinkSwarm | null = null;
      const { room, peers } = await LinkRoom.join({
        signaling,
        roomId,
        signalingKey,
        iceServers,
        onReceiver: (connection) => (swarm ? swarm.#serve(connection) : connection.destroy()),
      });
      swarm = new LinkSwarm(room, signaling, peers);
      return swarm;
    } catch {
      signaling.close();
      return null;
    }
  }

  /**
   * Peers for one file's download. `granted` resolves once the server answered chunk 0 (the link
   * is still live and the download counted); no peer is asked before.
   */
  forFile(file: PeerFile, granted: (signal: AbortSignal) => Promise<unknown>): ChunkPeers {
    return new FilePeers(this, file, granted);
  }

  close(): void {
    this.#closed = true;
    this.room.close();
    this.signaling.close();
    this.#seeders.forEach((peer) => peer.drop('cancelled', 'The link page was closed.'));
    this.#served.forEach((connection) => connection.destroy());
    this.#served.clear();
    this.#wake();
  }

  #serve(connection: PeerConnection): void {
    if (this.#closed) return connection.destroy();
    this.#served.add(connection);
    connection.frames.onClose(() => this.#served.delete(connection));
    serveLinkPeer(connection, this.#cache);
  }

  get seeders(): readonly SeederPeer[] {
    return this.#seeders;
  }

  get cache(): LinkSeedCache {
    return this.#cache;
  }

  /** Resolves once no introduction is under way, or after a few seconds. */
  async ready(): Promise<void> {
    const deadline = Date.now() + READY_WAIT_MS;
    while (this.#connecting.size > 0 && Date.now() < deadline) {
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, deadline - Date.now()));
      await Promise.race([Promise.allSettled([...this.#connecting]), timeout]);
    }
  }

  /** Resolves the next time a request settles or a peer goes, or when `signal` aborts. */
  changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  #wake(): void {
    this.#waiters.splice(0).forEach((resolve) => resolve());
  }

  notify(): void {
    this.#wake();
  }

  #connectMore(): void {
    while (
      !this.#closed &&
      this.#candidates.length > 0 &&
      this.#seeders.length + this.#connecting.size < MAX_SEEDERS
    ) {
      const peerId = this.#candidates.shift()!;
      const attempt = this.room.connectTo(peerId).then(
        (connection) => {
          if (this.#closed) return connection.destroy();
          this.#seeders.push(new SeederPeer(peerId, connection, (peer) => this.#gone(peer)));
        },
        () => undefined, // not a peer of this link, or it left: try the next one
      );
      const tracked = attempt.finally(() => {
        this.#connecting.delete(tracked);
        this.#connectMore();
        this.#wake();
      });
      this.#connecting.add(tracked);
    }
  }

  #gone(peer: SeederPeer): void {
    const at = this.#seeders.indexOf(peer);
    if (at >= 0) this.#seeders.splice(at, 1);
    this.#connectMore();
    this.#wake();
  }
}

class FilePeers implements ChunkPeers {
  #asked: Promise<void> | null = null;

  constructor(
    private readonly swarm: LinkSwarm,
    private readonly file: PeerFile,
    private readonly granted: (signal: AbortSignal) => Promise<unknown>,
  ) {}

  async fetch(index: number, length: number, signal: AbortSignal): Promise<PeerChunk | null> {
    // Chunk 0 counts the download and returns its grant: always the server's (format.md §13.7).
    if (index === 0) return null;
    await this.granted(signal);
    this.#asked ??= this.#askBitmaps();
    await this.#asked;
    for (;;) {
      signal.throwIfAborted();
      const holders = this.swarm.seeders.filter((peer) => peer.holds(this.file, index));
      if (holders.length === 0) return null;
      const free = holders
        .filter((peer) => peer.canServe(this.file, index))
        .sort((a, b) => a.load - b.load)[0];
      if (free === undefined) {
        await this.swarm.changed(signal); // a holder is busy: wait for a slot rather than use the server
        continue;
      }
      try {
        const bytes = await free.fetch(this.file, index, length);
        return {
          bytes,
          blame: (at) => free.drop('integrity', `Chunk ${at} failed its integrity check.`),
        };
      } catch (error) {
        if (!(error instanceof PeerChunkError)) throw error;
        // That peer is gone: another holder, or the server.
      } finally {
        this.swarm.notify();
      }
    }
  }

  connected(): boolean {
    return this.swarm.seeders.length > 0;
  }

  keep(index: number, chunk: Uint8Array): void {
    this.swarm.cache.put(this.file, index, chunk);
  }

  async #askBitmaps(): Promise<void> {
    await this.swarm.ready();
    await Promise.allSettled(this.swarm.seeders.map((peer) => peer.want(this.file)));
  }
}
