// Turns a File into a sealed, stored outbox item (docs/architecture.md "Add", format.md §12).
// It makes every key and sealed blob the server will need (node key wrapped under the folder,
// sealed name, content key wrapped under the node key), has the sender open the upload session
// while online (so an upload over quota is refused before anything is encrypted), seals the file
// one chunk at a time in the worker pool into IndexedDB, then signs and seals the manifest: from
// then on the item is plain ciphertext on the device and sending it needs no key. Files that
// cannot be queued (too large, already waiting, more than the device holds) are refused first.
import {
  CHUNK_SIZE,
  MAX_FILE_SIZE,
  chunkCount,
  cipherSize,
  plainChunkSize,
} from '@coffre/core/format';
import type { NodeMeta } from '@coffre/core/crypto';
import type { OpenSession } from '../account/account-service';
import type { FailureValue } from '../contract';
import type { Connectivity } from '../platform/connectivity';
import type { CryptoPool } from '../platform/crypto-pool';
import { coreCrypto } from '../platform/crypto-main';
import { estimateStorage, requestPersistence } from '../platform/device-storage';
import type { DriveService } from '../drive/drive-service';
import { asServiceFailure, InvalidRequestError } from '../platform/errors';
import type { OutboxRecord } from '../platform/local-db';
import { runBounded } from '../platform/retry';
import { CHUNKS_IN_FLIGHT, type OutboxItem } from './item';
import { isLocked, sealLockName, withLock } from './locks';
import { isPending } from './machine';
import type { OutboxRepository } from './repository';
import { SealWatch } from './seal-watch';
import type { OutboxSender } from './sender';

const REVISION = 1;
/** Room kept free on the device beyond a file's ciphertext (IndexedDB's own bookkeeping). */
const DEVICE_MARGIN = 16 * 1024 * 1024;

const INTERRUPTED: FailureValue = { kind: 'invalid', refusal: { key: 'outbox.interrupted' } };

type Core = Awaited<ReturnType<typeof coreCrypto>>;

export interface NewUpload {
  owner: string;
  folderId: string;
  file: File;
  /** The transfer's id, which the item keeps. */
  id: string;
  /** Aborted when the upload is cancelled or the session closes. */
  signal: AbortSignal;
}

export class OutboxSealing {
  /** The items this page is sealing, which the drain may already send from. */
  private readonly watches = new Map<string, SealWatch>();

  constructor(
    private readonly pool: CryptoPool,
    private readonly drive: DriveService,
    private readonly session: () => OpenSession,
    private readonly connectivity: Connectivity,
    private readonly repository: OutboxRepository,
    private readonly sender: OutboxSender,
  ) {}

  /** Set while this page seals the item. */
  watching(id: string): SealWatch | null {
    return this.watches.get(id) ?? null;
  }

  /** Resolves once the file is sealed and stored, or once it was cancelled. */
  async seal({ owner, folderId, file, id, signal }: NewUpload): Promise<void> {
    if (file.size > MAX_FILE_SIZE) throw new InvalidRequestError({ key: 'file-too-large' });
    const core = await coreCrypto();
    core.validateName(file.name);
    this.refuseDuplicate(folderId, file);
    await refuseIfDeviceFull(file);
    const parent = await this.drive.uploadTarget(folderId);

    const meta: NodeMeta = {
      name: file.name,
      mtime: file.lastModified || null,
      mime: file.type || null,
      size: file.size,
    };
    const node = core.createNode(parent.id, parent.key, 'file', meta);
    const { contentKey, wrappedContentKey } = core.createContentKey(node.id, node.key, REVISION);
    node.key.fill(0);
    const record: OutboxRecord = {
      id,
      owner,
      parentId: parent.id,
      nodeId: node.id,
      name: file.name,
      size: file.size,
      lastModified: file.lastModified,
      queuedAt: Date.now(),
      phase: 'encrypting',
      reason: null,
      retryable: false,
      createBody: {
        nodeId: node.id,
        parentId: parent.id,
        wrappedKey: node.wrappedKey,
        encMeta: node.encMeta,
        revision: REVISION,
        wrappedContentKey,
        size: cipherSize(file.size),
        chunkCount: chunkCount(file.size),
      },
      uploadId: null,
      manifest: null,
      chunkIds: null,
    };
    // Held while sealing, so a later start can tell an interrupted encryption from a live one.
    await withLock(sealLockName(id), async () => {
      const watch = new SealWatch();
      this.watches.set(id, watch);
      let item: OutboxItem | null = null;
      try {
        signal.throwIfAborted();
        item = await this.repository.add(record);
        requestPersistence();
        if (this.connectivity.online) await this.sender.reserve(item, signal);
        await this.sealChunks(item, file, contentKey, core, signal, watch);
      } catch (error) {
        // Cancelled, or the session closed: nothing to report.
        const stopped = signal.aborted;
        watch.fail(error);
        this.watches.delete(id);
        await this.repository.delete(id).catch(() => undefined);
        this.sender.abandon(item?.record.uploadId ?? null);
        if (stopped) return;
        const failure = asServiceFailure(error);
        if (failure.kind === 'browser' && failure.reason === 'storage-full')
          throw new InvalidRequestError({ key: 'device-full-while-sealing', name: file.name });
        throw error;
      } finally {
        contentKey.fill(0);
      }
    });
  }

  /**
   * An encryption cut short (tab closed) cannot be finished, since neither the content key nor the
   * file is kept: stores it failed, without its chunks. Null while another tab still seals it.
   */
  async interrupted(record: OutboxRecord): Promise<OutboxRecord | null> {
    if (await isLocked(sealLockName(record.id))) return null;
    const failed = await this.repository.interrupted(record, INTERRUPTED);
    // Its server session, if any, would hold the reservation until it expired.
    this.sender.abandon(record.uploadId);
    return failed;
  }

  private async sealChunks(
    item: OutboxItem,
    file: File,
    contentKey: Uint8Array,
    core: Core,
    signal: AbortSignal,
    watch: SealWatch,
  ): Promise<void> {
    const { nodeId, chunkCount: count } = item.record.createBody;
    await runBounded(count, CHUNKS_IN_FLIGHT, async (index) => {
      signal.throwIfAborted();
      const start = index * CHUNK_SIZE;
      const length = plainChunkSize(file.size, index);
      const plaintext = await file.slice(start, start + length).arrayBuffer();
      const context = { contentKey, nodeId, revision: REVISION, count, index };
      const { chunk, id } = await this.pool.run('sealChunk', { ...context, plaintext }, [
        plaintext,
      ]);
      signal.throwIfAborted();
      await this.repository.chunkSealed(item, { index, id, plainSize: length }, new Blob([chunk]));
      watch.mark(index);
    });
    const { keys } = this.session();
    const chunks = [...item.ids];
    const manifest = core.sealManifest(
      { nodeId, revision: REVISION, size: file.size, chunks },
      contentKey,
      { publicKey: keys.signPublicKey, secretKey: keys.signSecretKey },
    );
    signal.throwIfAborted();
    await this.repository.sealed(item, manifest, chunks);
    watch.finish();
    this.watches.delete(item.record.id);
  }

  private refuseDuplicate(folderId: string, file: File): void {
    for (const { record, status } of this.repository.items()) {
      if (
        isPending(status.state) &&
        record.parentId === folderId &&
        record.name === file.name &&
        record.size === file.size &&
        record.lastModified === file.lastModified
      ) {
        throw new InvalidRequestError({ key: 'already-queued', name: file.name });
      }
    }
  }
}

/** Refuses, before anything is encrypted, a file this browser's storage cannot hold. */
async function refuseIfDeviceFull(file: File): Promise<void> {
  const { quota, usage } = await estimateStorage();
  if (quota === null || usage === null) return;
  const free = Math.max(0, quota - usage);
  const needed = cipherSize(file.size) + DEVICE_MARGIN;
  if (needed > free)
    throw new InvalidRequestError({
      key: 'device-too-small',
      name: file.name,
      needed,
      free,
      quota,
    });
}
