// Turns a File into a sealed, stored outbox item (docs/architecture.md "Add", format.md §12).
// It makes every key and sealed blob the server will need (node key wrapped under the folder,
// sealed name, content key wrapped under the node key), seals the file one chunk at a time in
// the worker pool into IndexedDB, then signs and seals the manifest: from then on the item is
// plain ciphertext on the device and sending it needs no key. Files that cannot be queued (too
// large, already waiting, more than the device holds) are refused before anything is encrypted.
import {
  CHUNK_SIZE,
  MAX_FILE_SIZE,
  chunkCount,
  cipherSize,
  plainChunkSize,
} from '@coffre/core/format';
import type { NodeMeta } from '@coffre/core/crypto';
import { CreateUploadResponse, ROUTES } from '@coffre/core/protocol';
import type { OpenSession } from '../account/account-service';
import type { Api } from '../platform/http-client';
import type { Connectivity } from '../platform/connectivity';
import type { CryptoPool } from '../platform/crypto-pool';
import { coreCrypto } from '../platform/crypto-main';
import { estimateStorage, formatSize, requestPersistence } from '../platform/device-storage';
import type { DriveService } from '../drive/drive-service';
import { InvalidRequestError, NetworkError } from '../platform/errors';
import type { OutboxRecord } from '../platform/local-db';
import { CHUNKS_IN_FLIGHT, newItem, type OutboxItem } from './item';
import { sealLockName, withLock } from './locks';
import { isPending } from './machine';
import { abandonSession } from './sender';
import { deleteItem, patchRecord, putChunk, putRecord } from './store';
import { isRetryable, runBounded } from '../platform/retry';

const REVISION = 1;
/** Room kept free on the device beyond a file's ciphertext (IndexedDB's own bookkeeping). */
const DEVICE_MARGIN = 16 * 1024 * 1024;

type Core = Awaited<ReturnType<typeof coreCrypto>>;

/** How the queue follows an item while it is added. */
export interface SealingHooks {
  /** The record is stored: list the item. */
  listed(item: OutboxItem): void;
  /** A chunk was sealed. */
  show(item: OutboxItem): void;
  /** The server session is open (or could not be yet): the drain may start sending. */
  pump(): void;
  /** Every chunk and the manifest are stored: the item is ready to send. */
  sealed(item: OutboxItem): void;
  /** Adding failed or was cancelled: the item is gone from the store. */
  unlisted(item: OutboxItem): void;
}

export interface NewUpload {
  owner: string;
  folderId: string;
  file: File;
  /** The transfer's id, which the item keeps. */
  id: string;
  cancelled: AbortSignal;
}

export class OutboxSealing {
  constructor(
    private readonly api: Api,
    private readonly pool: CryptoPool,
    private readonly drive: DriveService,
    private readonly session: () => OpenSession,
    private readonly connectivity: Connectivity,
    /** The items listed in this tab, for the duplicate check. */
    private readonly items: ReadonlyMap<string, OutboxItem>,
    private readonly hooks: SealingHooks,
  ) {}

  /** Resolves once the file is sealed and stored, or once it was cancelled. */
  async enqueue({ owner, folderId, file, id, cancelled }: NewUpload): Promise<void> {
    if (file.size > MAX_FILE_SIZE)
      throw new InvalidRequestError('This file is larger than the largest file Coffre stores.');
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
    const item = newItem(record);
    cancelled.addEventListener('abort', () => item.life.abort(), { once: true });
    // Held while sealing, so a later start can tell an interrupted encryption from a live one.
    await withLock(sealLockName(id), async () => {
      try {
        cancelled.throwIfAborted();
        await putRecord(record);
        this.hooks.listed(item);
        requestPersistence();
        // Online, the server reserves the space now: an upload over quota is refused with its
        // figures before anything is encrypted or sent.
        if (this.connectivity.online) await this.reserve(item);
        this.hooks.pump();
        await this.seal(item, file, contentKey, core);
      } catch (error) {
        // Cancelled, or the session closed: nothing to report.
        const stopped = cancelled.aborted || item.life.signal.aborted;
        item.sealing?.fail(error);
        item.life.abort();
        item.run?.abort();
        this.hooks.unlisted(item);
        await deleteItem(id).catch(() => undefined);
        abandonSession(this.api, item.record.uploadId);
        if (stopped) return;
        if (error instanceof Error && error.name === 'QuotaExceededError') {
          throw new InvalidRequestError(
            `This device ran out of storage space while encrypting “${file.name}”. Nothing of it was kept: free some space and add it again.`,
          );
        }
        throw error;
      } finally {
        contentKey.fill(0);
      }
    });
  }

  private async seal(
    item: OutboxItem,
    file: File,
    contentKey: Uint8Array,
    core: Core,
  ): Promise<void> {
    const { record } = item;
    const { nodeId, chunkCount: count } = record.createBody;
    const { signal } = item.life;
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
      await putChunk({ item: record.id, index, id, plainSize: length }, new Blob([chunk]));
      item.ids[index] = id;
      item.sealedBytes += length;
      item.sealing?.mark(index);
      this.hooks.show(item);
    });
    const { keys } = this.session();
    const manifest = core.sealManifest(
      { nodeId, revision: REVISION, size: file.size, chunks: item.ids },
      contentKey,
      { publicKey: keys.signPublicKey, secretKey: keys.signSecretKey },
    );
    signal.throwIfAborted();
    const phase = item.status.state === 'paused' ? 'paused' : 'ready';
    Object.assign(record, { phase, manifest, chunkIds: [...item.ids] });
    await patchRecord(record.id, { phase, manifest, chunkIds: record.chunkIds });
    item.sealing?.finish();
    item.sealing = null;
    this.hooks.sealed(item);
  }

  /** Opens the server's upload session at add time; offline, the drain opens it later. */
  private async reserve(item: OutboxItem): Promise<void> {
    try {
      const { uploadId } = await this.api.json('POST', ROUTES.uploads, CreateUploadResponse, {
        body: item.record.createBody,
        signal: item.life.signal,
      });
      item.record.uploadId = uploadId;
      await patchRecord(item.record.id, { uploadId });
    } catch (error) {
      if (error instanceof NetworkError || isRetryable(error)) return;
      throw error;
    }
  }

  private refuseDuplicate(folderId: string, file: File): void {
    for (const { record, status } of this.items.values()) {
      if (
        isPending(status.state) &&
        record.parentId === folderId &&
        record.name === file.name &&
        record.size === file.size &&
        record.lastModified === file.lastModified
      ) {
        throw new InvalidRequestError(
          `“${file.name}” is already waiting to upload to this folder, so it was not added again.`,
        );
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
  if (needed > free) {
    throw new InvalidRequestError(
      `Not enough space on this device to queue “${file.name}”: it needs ${formatSize(needed)} and ${formatSize(free)} of the ${formatSize(quota)} this browser allows Coffre are free. Free some space and add it again.`,
    );
  }
}
