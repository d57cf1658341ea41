// The owner's device in the rooms of its own share links (format.md §13.7, ADR 0007): for each
// link whose file (or, for a folder link, a file below it) has its sealed chunks in this device's
// seed store, it joins the link's room and serves those chunks, and nothing else, to recipients.
// At most 4 links, the newest first: the signal server lets one connection join 4 rooms.
import { ChunkBitmap } from '@coffre/core/protocol/peer-frames';
import { DEFAULT_ROOMS_PER_SOCKET, MAX_FOLDER_DEPTH, parseLinkFragment } from '@coffre/core/format';
import type { PeerFile } from '../../downloads/chunk-peers';
import type { SharedLink } from '../../contract';
import type { DriveService } from '../../drive/drive-service';
import type { SeedRecord } from '../../platform/local-db';
import { seedChunk, seededFiles } from '../../platform/seed-store';
import { LinkRoom } from './room';
import { serveLinkPeer, type SeedSource } from './seeder';
import type { PeerConnection } from '../wire/peer';
import { p2pCrypto } from '../wire/p2p-crypto';
import { signalServerUrl } from '../wire/signal-config';
import { SignalingClient, fetchIceServers } from '../wire/signaling';

/** After the signal server went away (a restart, the network), when to join the rooms again. */
const REJOIN_DELAY_MS = 10_000;

interface Seeding {
  room: LinkRoom;
  /** Recipients being served: ended when the room is left (logout, link revoked). */
  served: Set<PeerConnection>;
  /** The seeded files this link grants, by node id. */
  files: Map<string, SeedRecord>;
}

export class OwnerSeeding {
  #signaling: SignalingClient | null = null;
  readonly #rooms = new Map<string, Seeding>();
  #running: Promise<void> = Promise.resolve();
  #again = false;

  constructor(
    private readonly owner: () => string | null,
    private readonly links: () => Promise<SharedLink[]>,
    private readonly drive: DriveService,
  ) {}

  /** Brings the rooms in line with the links and the seed store; runs after the current sync. */
  refresh(): void {
    if (this.#again) return;
    this.#again = true;
    this.#running = this.#running.then(async () => {
      this.#again = false;
      try {
        await this.#sync();
      } catch (error) {
        console.warn('link seeding stopped', error);
      }
    });
  }

  stop(): void {
    for (const seeding of this.#rooms.values()) leave(seeding);
    this.#rooms.clear();
    const signaling = this.#signaling;
    this.#signaling = null; // first: its own disconnect must not schedule a rejoin
    signaling?.close();
  }

  async #sync(): Promise<void> {
    const owner = this.owner();
    const signalUrl = owner === null ? null : await signalServerUrl().catch(() => null);
    const seeds = owner === null ? [] : await seededFiles(owner);
    if (owner === null || signalUrl === null || seeds.length === 0) return this.stop();
    const wanted = await this.#linksToSeed(seeds);
    if (!this.#signaling?.connected) {
      this.stop();
      const signaling = await SignalingClient.connect(signalUrl);
      signaling.onDisconnect(() => {
        if (this.#signaling === signaling) setTimeout(() => this.refresh(), REJOIN_DELAY_MS);
      });
      this.#signaling = signaling;
    }
    for (const [linkId, seeding] of this.#rooms) {
      if (!wanted.has(linkId)) {
        leave(seeding);
        this.#rooms.delete(linkId);
      }
    }
    const iceServers = await fetchIceServers(signalUrl);
    const core = await p2pCrypto();
    for (const [linkId, { link, files }] of wanted) {
      const current = this.#rooms.get(linkId);
      if (current) {
        current.files = files;
        continue;
      }
      const { roomId, signalingKey } = core.linkRoom(parseLinkFragment(new URL(link.url).hash));
      const seeding: Seeding = { room: null!, served: new Set(), files };
      try {
        const { room } = await LinkRoom.join({
          signaling: this.#signaling,
          roomId,
          signalingKey,
          iceServers,
          onReceiver: (connection) => {
            seeding.served.add(connection);
            connection.frames.onClose(() => seeding.served.delete(connection));
            serveLinkPeer(connection, sourceOf(seeding));
          },
        });
        seeding.room = room;
        this.#rooms.set(linkId, seeding);
      } catch (error) {
        // A full room (8 already share this link) only means its recipients do without us.
        console.warn('a link room could not be joined', error);
      }
    }
  }

  /** The newest links that grant at least one seeded file, with the files each grants. */
  async #linksToSeed(
    seeds: SeedRecord[],
  ): Promise<Map<string, { link: SharedLink; files: Map<string, SeedRecord> }>> {
    const wanted = new Map<string, { link: SharedLink; files: Map<string, SeedRecord> }>();
    for (const link of await this.links()) {
      // As many as a signal server lets one connection join by default (protocol.md §5.4).
      if (wanted.size === DEFAULT_ROOMS_PER_SOCKET) break;
      const files = new Map<string, SeedRecord>();
      for (const seed of seeds) {
        if (
          seed.nodeId === link.nodeId ||
          (link.type === 'folder' && (await this.#isBelow(seed.nodeId, link.nodeId)))
        ) {
          files.set(seed.nodeId, seed);
        }
      }
      if (files.size > 0) wanted.set(link.linkId, { link, files });
    }
    return wanted;
  }

  async #isBelow(nodeId: string, folderId: string): Promise<boolean> {
    try {
      let node = await this.drive.resolve(nodeId);
      for (let depth = 0; node.parentId !== null && depth < MAX_FOLDER_DEPTH; depth += 1) {
        if (node.parentId === folderId) return true;
        node = await this.drive.resolve(node.parentId);
      }
    } catch {
      // Gone, or no longer verifies: not served.
    }
    return false;
  }
}

function leave(seeding: Seeding): void {
  seeding.room.close();
  seeding.served.forEach((connection) => connection.destroy());
  seeding.served.clear();
}

/** Only the exact revision of a file the link grants; every chunk of it is in the store. */
function sourceOf(seeding: Seeding): SeedSource {
  const granted = (file: PeerFile) => {
    const seed = seeding.files.get(file.nodeId);
    return seed !== undefined && seed.revision === file.revision && seed.count === file.count;
  };
  return {
    holds(file) {
      const bitmap = new ChunkBitmap(file.count);
      if (granted(file)) for (let i = 0; i < file.count; i += 1) bitmap.set(i);
      return Promise.resolve(bitmap);
    },
    async read(file, index) {
      if (!granted(file)) return null;
      const blob = await seedChunk(file.nodeId, index);
      return blob ? new Uint8Array(await blob.arrayBuffer()) : null;
    },
  };
}
