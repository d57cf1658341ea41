// Uploads through an outbox on this device (docs/architecture.md, format.md §12).
//
// Adding a file makes every key and sealed blob the server will need (node key wrapped under the
// folder, sealed name, content key wrapped under the node key), seals the file one chunk at a
// time in the worker pool into IndexedDB, then signs and seals the manifest: from then on the
// item is plain ciphertext on the device and sending it needs no key. The drain sends items with
// bounded parallelism, records each chunk the server acknowledges before moving on, and retries
// with jittered exponential backoff; it survives reloads and days offline. Chunks may go out
// while later ones are still being sealed, so a fast line is not held up by the extra step.
//
// Every tab of the account lists the queue; one drains it (a Web Lock). Tabs tell each other
// what changed (added, progress, done, cancelled, paused, resumed, failed) over a
// BroadcastChannel. An encryption cut short (tab closed) cannot be finished later, since neither
// the content key nor the file is kept: the next start removes its chunks and shows it failed.
import {
  CHUNK_SIZE,
  MAX_FILE_SIZE,
  chunkCount,
  cipherSize,
  plainChunkSize,
} from '../../../core/format';
import type { NodeMeta } from '../../../core/crypto';
import {
  CHUNK_SHA256_HEADER,
  CreateUploadResponse,
  NodeResponse,
  ROUTES,
  UploadStatus,
  apiPath,
} from '../../../core/protocol';
import type { OpenSession } from './account';
import type { Api } from './api';
import { backoffDelay } from './backoff';
import type { Connectivity } from './connectivity';
import type { DeviceStorage, TransferSnapshot, UploadPhase } from './contract';
import type { CryptoPool } from './crypto-pool';
import { coreCrypto } from './crypto-main';
import { estimateStorage, formatSize, isPersisted, requestPersistence } from './device-storage';
import type { DriveService } from './drive';
import { FolderChains } from './folder-chains';
import { drainLockName, isLocked, sealLockName, withLock } from './outbox-locks';
import { SealWatch } from './seal-watch';
import { ApiError, describeError, InvalidRequestError, NetworkError } from './errors';
import type { OutboxRecord } from './local-db';
import {
  initialStatus,
  isPending,
  isSendable,
  transition,
  type ItemStatus,
  type OutboxEvent,
} from './outbox-machine';
import {
  chunkBlob,
  deleteChunks,
  deleteItem,
  markAcked,
  outboxOf,
  outboxRecord,
  patchRecord,
  progressOf,
  putChunk,
  putRecord,
} from './outbox-store';
import { isRetryable, runBounded, withRetry } from './retry';
import type { Transfers } from './transfers';
import type { UploadWakeLock } from './wake-lock';

/** Chunks of one file sealed, or sent, at once: keeps the workers and the line busy. */
const CHUNKS_IN_FLIGHT = 4;
/** Files sending at once; the rest wait their turn. */
const FILES_AT_ONCE = 2;
const REVISION = 1;
/** Item-level retries after withRetry's own attempts gave up: from seconds up to 5 minutes. */
const ITEM_BACKOFF = { baseMs: 2_000, maxMs: 5 * 60_000 };
/** Room kept free on the device beyond a file's ciphertext (IndexedDB's own bookkeeping). */
const DEVICE_MARGIN = 16 * 1024 * 1024;
const CHANNEL = 'coffre-outbox';

const INTERRUPTED =
  'Encryption was interrupted (the app closed before the file was fully stored). Add the file again.';
const CHUNKS_LOST =
  'Its encrypted copy on this device is gone (the browser cleared site data). Add the file again.';

type TransferView = Partial<Pick<TransferSnapshot, 'state' | 'error' | 'done' | 'canRetry'>> & {
  phase: UploadPhase | null;
};

interface Item {
  record: OutboxRecord;
  status: ItemStatus;
  /** Chunk ids by index, as sealed. */
  ids: string[];
  acked: Set<number>;
  sealedBytes: number;
  /** Set while this page seals the item. */
  sealing: SealWatch | null;
  /** Aborted when the item is cancelled: stops its sealing and sending. */
  life: AbortController;
  /** The send in progress, aborted by pause. */
  run: AbortController | null;
  timer: ReturnType<typeof setTimeout> | null;
}

/** Thrown when a stored chunk is missing: nothing on this device can send the item any more. */
class ChunksLostError extends Error {
  override readonly name = 'ChunksLostError';
  constructor() {
    super(CHUNKS_LOST);
  }
}

/** What one tab tells the others of the same account about an item. */
interface OutboxMessage {
  owner: string;
  id: string;
  change: 'added' | 'progress' | 'done' | 'cancelled' | 'paused' | 'resumed' | 'failed';
}

/** The server's upload session lost chunks or expired during the send: ask it again, soon. */
class ResendError extends Error {
  override readonly name = 'ResendError';
}

export class UploadService {
  private readonly items = new Map<string, Item>();
  private owner: string | null = null;
  /** Whether this tab holds the account's drain lock. */
  private draining = false;
  private releaseLock: (() => void) | null = null;
  private running = 0;
  private readonly channel = new BroadcastChannel(CHANNEL);

  constructor(
    private readonly api: Api,
    private readonly pool: CryptoPool,
    private readonly drive: DriveService,
    private readonly transfers: Transfers,
    private readonly session: () => OpenSession,
    private readonly connectivity: Connectivity,
    private readonly wakeLock: UploadWakeLock,
  ) {
    this.channel.onmessage = (event: MessageEvent<OutboxMessage>) => {
      if (event.data.owner === this.owner) void this.heard(event.data);
    };
  }

  /** The session opened (online or offline) for `owner`, or closed (null). */
  open(owner: string | null): void {
    if (owner === this.owner) return;
    this.close();
    this.owner = owner;
    if (owner === null) return;
    void this.load();
    const lockName = drainLockName(owner);
    if (!navigator.locks) {
      void this.startDraining(owner);
      return;
    }
    void navigator.locks.request(lockName, async () => {
      if (this.owner !== owner) return;
      await this.startDraining(owner);
      await new Promise<void>((resolve) => (this.releaseLock = resolve));
    });
  }

  /** The network may be back (online event, Background Sync): send what waits. */
  wake(): void {
    if (!this.connectivity.online) {
      for (const item of this.items.values()) {
        // Stop now rather than after withRetry's attempts: nothing gets through while offline,
        // and a chunk cut off mid-way was not acknowledged, so it goes again later.
        if (item.status.state === 'uploading') item.run?.abort();
        this.apply(item, { type: 'offline' });
      }
      return;
    }
    for (const item of this.items.values()) {
      this.apply(item, { type: 'online' });
      if (item.status.state === 'retrying') this.due(item);
    }
    this.pump();
  }

  async upload(parentId: string, files: File[]): Promise<void> {
    const owner = this.session().userId;
    const relative = (file: File) => (file.webkitRelativePath || '').split('/').slice(0, -1);
    if (files.some((file) => relative(file).length > 0) && !this.connectivity.online) {
      throw new InvalidRequestError(
        'Folders can be uploaded only while online, since their folders are made on the server first. Add the files on their own, or try again when connected.',
      );
    }
    const folders = new FolderChains(this.drive, parentId);
    const jobs = files.map((file) => ({
      file,
      dirs: relative(file),
      ...this.transfers.add('upload', file.name, file.size, parentId),
    }));
    for (const job of jobs) this.transfers.show(job.id, { phase: 'encrypting' });
    const errors: unknown[] = [];
    for (const job of jobs) {
      if (job.signal.aborted) continue;
      try {
        const folderId = await folders.folderFor(job.dirs);
        this.transfers.show(job.id, { parentId: folderId });
        await this.enqueue(owner, folderId, job.file, job.id, job.signal);
      } catch (error) {
        if (job.signal.aborted) continue;
        console.warn('upload not queued', error);
        this.transfers.show(job.id, { state: 'failed', phase: null, error: describeError(error) });
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) {
      throw new InvalidRequestError(
        `${errors.length} of ${files.length} files could not be queued. The first: ${describeError(errors[0])}`,
      );
    }
  }

  cancel(id: string): void {
    const item = this.items.get(id);
    if (!item) {
      // Not in the outbox: still waiting its turn to be encrypted, or refused when added.
      if (this.transfers.isEnded(id)) this.transfers.remove(id);
      else this.transfers.cancel(id);
      return;
    }
    const wasFailed = item.status.state === 'failed';
    this.drop(item, wasFailed ? null : 'cancelled');
    this.tell(id, 'cancelled');
    const { uploadId } = item.record;
    void deleteItem(id).then(() => {
      if (uploadId) this.api.empty('DELETE', apiPath.upload(uploadId)).catch(() => undefined);
    });
  }

  cancelAll(): void {
    for (const id of [...this.items.keys()]) this.cancel(id);
  }

  pause(id: string | null): void {
    for (const item of this.targets(id))
      if (this.pauseItem(item)) this.tell(item.record.id, 'paused');
    this.pump();
  }

  resume(id: string | null): void {
    for (const item of this.targets(id))
      if (this.resumeItem(item)) this.tell(item.record.id, 'resumed');
    this.wake();
  }

  retry(id: string): void {
    const item = this.items.get(id);
    if (item && this.resumeItem(item)) this.tell(id, 'resumed');
    this.wake();
  }

  /** Pauses one item; the stored phase changes once sealing is over. Returns whether it paused. */
  private pauseItem(item: Item): boolean {
    const before = item.status.state;
    this.apply(item, { type: 'pause' });
    if (item.status.state !== 'paused' || before === 'paused') return false;
    item.run?.abort();
    this.clearTimer(item);
    if (item.record.phase !== 'encrypting') this.persist(item, { phase: 'paused' });
    return true;
  }

  /** Resumes a paused item, or retries a failed one whose chunks are stored. */
  private resumeItem(item: Item): boolean {
    const { state, retryable } = item.status;
    if (state === 'paused') this.apply(item, { type: 'resume' });
    else if (state === 'failed' && retryable) this.apply(item, { type: 'retry' });
    else return false;
    if (item.record.phase !== 'encrypting') this.persist(item, { phase: 'ready', reason: null });
    return true;
  }

  async deviceStorage(): Promise<DeviceStorage> {
    const [estimate, persisted] = await Promise.all([estimateStorage(), isPersisted()]);
    const queued = [...this.items.values()].filter((item) => isPending(item.status.state));
    return {
      ...estimate,
      queued: queued.reduce((sum, item) => sum + item.record.createBody.size, 0),
      queuedFiles: queued.length,
      persisted,
    };
  }

  // ——— adding: seal into the outbox ———

  private async enqueue(
    owner: string,
    folderId: string,
    file: File,
    id: string,
    cancelled: AbortSignal,
  ): Promise<void> {
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
    const count = chunkCount(file.size);
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
        chunkCount: count,
      },
      uploadId: null,
      manifest: null,
      chunkIds: null,
    };
    const item: Item = {
      record,
      status: initialStatus('encrypting'),
      ids: new Array<string>(count),
      acked: new Set(),
      sealedBytes: 0,
      sealing: new SealWatch(),
      life: new AbortController(),
      run: null,
      timer: null,
    };
    cancelled.addEventListener('abort', () => item.life.abort(), { once: true });
    // Held while sealing, so a later start can tell an interrupted encryption from a live one.
    await withLock(sealLockName(id), async () => {
      try {
        cancelled.throwIfAborted();
        await putRecord(record);
        this.items.set(id, item);
        this.show(item);
        requestPersistence();
        // Online, the server reserves the space now: an upload over quota is refused with its
        // figures before anything is encrypted or sent.
        if (this.connectivity.online) await this.reserve(item);
        this.pump();
        await this.seal(item, file, contentKey, core);
      } catch (error) {
        // Cancelled, or the session closed: nothing to report.
        const stopped = cancelled.aborted || item.life.signal.aborted;
        item.sealing?.fail(error);
        item.life.abort();
        item.run?.abort();
        this.items.delete(id);
        this.changed();
        await deleteItem(id).catch(() => undefined);
        const { uploadId } = item.record;
        if (uploadId) this.api.empty('DELETE', apiPath.upload(uploadId)).catch(() => undefined);
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
    this.tell(id, 'added');
  }

  private async seal(
    item: Item,
    file: File,
    contentKey: Uint8Array,
    core: Awaited<ReturnType<typeof coreCrypto>>,
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
      this.show(item);
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
    this.apply(item, { type: 'sealed' });
    this.pump();
  }

  /** Opens the server's upload session at add time; offline, the drain opens it later. */
  private async reserve(item: Item): Promise<void> {
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

  // ——— draining: send from the outbox ———

  private async startDraining(owner: string): Promise<void> {
    if (this.owner !== owner) return;
    this.draining = true;
    await this.load();
    // Shown as sending while another tab drained: this tab takes them over from the store.
    for (const item of this.items.values()) {
      if (item.run || (item.status.state !== 'uploading' && item.status.state !== 'retrying'))
        continue;
      if (item.sealing) continue;
      item.status = { ...item.status, state: 'queued' };
      await this.reread(item);
    }
    this.wake();
  }

  /** Reads the account's items this page does not know yet (start, or another tab added some). */
  private async load(): Promise<void> {
    const owner = this.owner;
    if (!owner) return;
    for (const stored of await outboxOf(owner)) {
      if (this.items.has(stored.id) || this.owner !== owner) continue;
      let record = stored;
      if (record.phase === 'encrypting') {
        if (await isLocked(sealLockName(record.id))) continue; // another tab is sealing it
        await deleteChunks(record.id);
        // Its server session, if any, would hold the reservation until it expired.
        const { uploadId } = record;
        if (uploadId) this.api.empty('DELETE', apiPath.upload(uploadId)).catch(() => undefined);
        record = {
          ...record,
          phase: 'failed',
          reason: INTERRUPTED,
          retryable: false,
          uploadId: null,
        };
        await putRecord(record);
      }
      const progress = await progressOf(record.id);
      const item: Item = {
        record,
        status: {
          ...initialStatus(
            record.phase === 'failed' ? 'failed' : record.phase === 'paused' ? 'paused' : 'queued',
          ),
          reason: record.reason,
          retryable: record.retryable,
        },
        ids: new Array<string>(record.createBody.chunkCount),
        acked: new Set(),
        sealedBytes: 0,
        sealing: null,
        life: new AbortController(),
        run: null,
        timer: null,
      };
      for (const chunk of progress) {
        item.ids[chunk.index] = chunk.id;
        item.sealedBytes += chunk.plainSize;
        if (chunk.acked) item.acked.add(chunk.index);
      }
      if (this.items.has(record.id) || this.owner !== owner) continue;
      this.items.set(record.id, item);
      if (!this.transfers.has(record.id))
        this.transfers.add('upload', record.name, record.size, record.parentId, record.id);
      this.show(item);
    }
    this.pump();
  }

  private pump(): void {
    if (!this.draining) return;
    if (!this.connectivity.online) {
      for (const item of this.items.values()) this.apply(item, { type: 'offline' });
      void this.connectivity.requestSync();
      return;
    }
    for (const item of this.items.values()) {
      if (this.running >= FILES_AT_ONCE) break;
      if (item.run) continue;
      // Chunks may go out while later ones are sealed, once add time opened the server session.
      const pipelined =
        item.status.state === 'encrypting' &&
        item.sealing !== null &&
        item.record.uploadId !== null;
      if (isSendable(item.status.state) || pipelined) this.start(item);
    }
  }

  private start(item: Item): void {
    this.running++;
    const run = new AbortController();
    item.run = run;
    const signal = AbortSignal.any([run.signal, item.life.signal]);
    this.apply(item, { type: 'start' });
    void this.send(item, signal)
      .then(
        () => this.committed(item),
        (error: unknown) => this.sendFailed(item, error, signal),
      )
      .finally(() => {
        this.running--;
        if (item.run === run) item.run = null;
        this.pump();
      });
  }

  private async send(item: Item, signal: AbortSignal): Promise<void> {
    const { record } = item;
    const { id } = record;
    let uploadId = record.uploadId;
    let received: number[] = [];
    if (uploadId) {
      try {
        const status = await withRetry(
          () => this.api.json('GET', apiPath.upload(uploadId!), UploadStatus, { signal }),
          signal,
        );
        received = status.received;
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) throw error;
        uploadId = null; // expired (or committed: openSession tells)
      }
    }
    if (!uploadId) {
      const opened = await this.openSession(item, signal);
      if (opened === null) return; // committed by an earlier run whose answer was lost
      uploadId = opened;
      received = [];
      // A new session holds nothing: every chunk goes again, once, to it.
      await markAcked(id, [...item.acked], false);
      item.acked.clear();
      record.uploadId = uploadId;
      await patchRecord(id, { uploadId });
    }
    await this.reconcile(item, received);
    this.show(item);

    const count = record.createBody.chunkCount;
    const pending: number[] = [];
    for (let index = 0; index < count; index++) if (!item.acked.has(index)) pending.push(index);
    const target = uploadId;
    await runBounded(pending.length, CHUNKS_IN_FLIGHT, async (k) => {
      const index = pending[k]!;
      await item.sealing?.whenSealed(index, signal);
      signal.throwIfAborted();
      const blob = await chunkBlob(id, index);
      const chunkId = item.ids[index];
      if (!blob || !chunkId) throw new ChunksLostError();
      await withRetry(
        () =>
          this.api.upload(
            apiPath.uploadChunk(target, index),
            blob,
            { [CHUNK_SHA256_HEADER]: chunkId },
            signal,
          ),
        signal,
      );
      // Recorded before the next chunk: a chunk the server acknowledged is never sent again.
      await markAcked(id, [index]);
      item.acked.add(index);
      this.tell(id, 'progress');
      item.status = { ...item.status, attempts: 0 };
      this.transfers.progress(id, plainChunkSize(record.size, index));
    });
    await item.sealing?.whenFinished(signal);
    const { manifest, chunkIds } = record;
    if (!manifest || !chunkIds) throw new ChunksLostError();
    try {
      await withRetry(
        () =>
          this.api.json('POST', apiPath.uploadCommit(target), NodeResponse, {
            body: { manifest, chunks: chunkIds },
            signal,
          }),
        signal,
      );
    } catch (error) {
      if (error instanceof ApiError && (error.code === 'incomplete_upload' || error.status === 404))
        throw new ResendError(error.message);
      throw error;
    }
  }

  /** Takes the server's word for the chunks it holds (it hashed each on arrival). */
  private async reconcile(item: Item, received: number[]): Promise<void> {
    const held = new Set(received);
    const gained = received.filter((index) => !item.acked.has(index));
    // Chunks the server no longer has (it lost them) must go again.
    const lost = [...item.acked].filter((index) => !held.has(index));
    await markAcked(item.record.id, gained);
    await markAcked(item.record.id, lost, false);
    for (const index of gained) item.acked.add(index);
    for (const index of lost) item.acked.delete(index);
  }

  /** POST /uploads with the stored body; null when the node already exists (committed). */
  private async openSession(item: Item, signal: AbortSignal): Promise<string | null> {
    try {
      const { uploadId } = await withRetry(
        () =>
          this.api.json('POST', ROUTES.uploads, CreateUploadResponse, {
            body: item.record.createBody,
            signal,
          }),
        signal,
      );
      return uploadId;
    } catch (error) {
      if (error instanceof ApiError && error.status === 409 && (await this.isCommitted(item)))
        return null;
      throw error;
    }
  }

  private async isCommitted(item: Item): Promise<boolean> {
    try {
      const { node } = await this.api.json('GET', apiPath.node(item.record.nodeId), NodeResponse);
      return node.type === 'file';
    } catch {
      return false;
    }
  }

  private committed(item: Item): void {
    if (item.life.signal.aborted) return;
    this.apply(item, { type: 'committed' });
    this.items.delete(item.record.id);
    void deleteItem(item.record.id).then(() => this.tell(item.record.id, 'done'));
    this.changed();
  }

  private sendFailed(item: Item, error: unknown, signal: AbortSignal): void {
    // Paused or cancelled: whoever aborted has set the state already.
    if (signal.aborted || !this.items.has(item.record.id)) return;
    if (item.status.state === 'failed') return; // its sealing failed and said why
    if (!this.connectivity.online) {
      this.apply(item, { type: 'offline' });
      void this.connectivity.requestSync();
      return;
    }
    if (error instanceof NetworkError || error instanceof ResendError || isRetryable(error)) {
      this.apply(item, { type: 'transient', reason: describeError(error) });
      this.clearTimer(item);
      const delay = backoffDelay(item.status.attempts, ITEM_BACKOFF, Math.random());
      item.timer = setTimeout(() => this.due(item), delay);
      return;
    }
    console.warn('upload failed', error);
    const retryable = !(error instanceof ChunksLostError);
    const reason = describeError(error);
    this.apply(item, { type: 'fail', reason, retryable });
    this.persist(item, { phase: 'failed', reason, retryable }, 'failed');
  }

  private due(item: Item): void {
    this.clearTimer(item);
    this.apply(item, { type: 'due' });
    this.pump();
  }

  // ——— bookkeeping ———

  private apply(item: Item, event: OutboxEvent): void {
    const next = transition(item.status, event);
    if (next === item.status) return;
    item.status = next;
    this.show(item);
  }

  private show(item: Item): void {
    const { state, reason, retryable } = item.status;
    const acked = [...item.acked].reduce((sum, i) => sum + plainChunkSize(item.record.size, i), 0);
    const view: TransferView = {
      phase: null,
      error: null,
      canRetry: false,
      done: acked,
    };
    switch (state) {
      case 'encrypting':
        Object.assign(view, { state: 'running', phase: 'encrypting', done: item.sealedBytes });
        break;
      case 'queued':
        view.state = 'queued';
        break;
      case 'waiting-network':
        Object.assign(view, { state: 'queued', phase: 'waiting-network' });
        break;
      case 'retrying':
        Object.assign(view, { state: 'queued', phase: 'retrying', error: reason });
        break;
      case 'uploading':
        Object.assign(view, { state: 'running', phase: 'uploading' });
        break;
      case 'paused':
        view.state = 'paused';
        break;
      case 'done':
        Object.assign(view, { state: 'done', done: item.record.size });
        break;
      case 'failed':
        Object.assign(view, { state: 'failed', error: reason, canRetry: retryable });
        break;
    }
    if (!this.transfers.has(item.record.id)) return;
    this.transfers.show(item.record.id, view);
    this.changed();
  }

  /** Keeps the device awake while anything is sealed or sent. */
  private changed(): void {
    let active = false;
    for (const { status } of this.items.values())
      if (status.state === 'uploading' || status.state === 'encrypting') active = true;
    this.wakeLock.set(active);
  }

  /** Saves a change of the record, then (optionally) tells the other tabs. */
  private persist(item: Item, patch: Partial<OutboxRecord>, change?: 'failed'): void {
    Object.assign(item.record, patch);
    void patchRecord(item.record.id, patch).then(
      () => change && this.tell(item.record.id, change),
      (error: unknown) => console.warn('outbox update not saved', error),
    );
  }

  private targets(id: string | null): Item[] {
    if (id === null) return [...this.items.values()];
    const item = this.items.get(id);
    return item ? [item] : [];
  }

  private clearTimer(item: Item): void {
    if (item.timer !== null) clearTimeout(item.timer);
    item.timer = null;
  }

  private tell(id: string, change: OutboxMessage['change']): void {
    if (this.owner)
      this.channel.postMessage({ owner: this.owner, id, change } satisfies OutboxMessage);
  }

  /** Another tab of this account changed an item: follow, without telling anyone back. */
  private async heard({ id, change }: OutboxMessage): Promise<void> {
    if (change === 'added') return this.load();
    const item = this.items.get(id);
    if (!item || item.sealing) return;
    switch (change) {
      case 'progress':
        if (item.run) return;
        if (item.status.state === 'queued' || item.status.state === 'waiting-network')
          item.status = { ...item.status, state: 'uploading' };
        return this.reread(item);
      case 'done':
        item.status = { ...item.status, state: 'done' };
        this.show(item);
        this.items.delete(id);
        return;
      case 'cancelled':
        this.drop(item, item.status.state === 'failed' ? null : 'cancelled');
        return;
      case 'paused':
        this.pauseItem(item);
        return this.pump();
      case 'resumed':
        this.resumeItem(item);
        return this.wake();
      case 'failed': {
        const record = await outboxRecord(id);
        if (!record || this.items.get(id) !== item) return;
        const reason = record.reason ?? 'The upload failed.';
        item.run?.abort();
        item.record = record;
        this.apply(item, { type: 'fail', reason, retryable: record.retryable });
        return;
      }
    }
  }

  /** Reads an item's progress records again (another tab sent some of its chunks). */
  private async reread(item: Item): Promise<void> {
    const [record, progress] = await Promise.all([
      outboxRecord(item.record.id),
      progressOf(item.record.id),
    ]);
    if (record) item.record = record;
    item.acked = new Set(progress.filter((chunk) => chunk.acked).map((chunk) => chunk.index));
    this.show(item);
  }

  /** Takes an item out of this tab: `shown` is its last state in the list, or null to unlist it. */
  private drop(item: Item, shown: 'cancelled' | null): void {
    item.life.abort();
    item.run?.abort();
    this.clearTimer(item);
    this.items.delete(item.record.id);
    if (shown === null) this.transfers.remove(item.record.id);
    else this.transfers.show(item.record.id, { state: shown, phase: null, error: null });
    this.changed();
  }

  /** Stops sending (log out, account switch); the items stay stored for their account. */
  private close(): void {
    for (const item of this.items.values()) {
      item.run?.abort();
      if (item.sealing) item.life.abort();
      this.clearTimer(item);
    }
    this.items.clear();
    this.draining = false;
    this.releaseLock?.();
    this.releaseLock = null;
    this.wakeLock.set(false);
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
