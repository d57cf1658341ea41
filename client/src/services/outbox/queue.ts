// Uploads through an outbox on this device (docs/architecture.md, format.md §12).
//
// Adding a file seals it into IndexedDB (outbox-sealing.ts); from then on sending it needs no
// key. The queue sends items with bounded parallelism (outbox-sender.ts) and retries with
// jittered exponential backoff; it survives reloads and days offline. Chunks may go out while
// later ones are still being sealed, so a fast line is not held up by the extra step.
//
// Every tab of the account lists the queue; one drains it (a Web Lock). Tabs tell each other
// what changed over a BroadcastChannel (outbox-tabs.ts). An encryption cut short (tab closed)
// cannot be finished later, since neither the content key nor the file is kept: the next start
// removes its chunks and shows it failed.
import type { OpenSession } from '../account/account-service';
import type { Api } from '../platform/http-client';
import { backoffDelay } from '../platform/backoff';
import type { Connectivity } from '../platform/connectivity';
import type { DeviceStorage } from '../contract/index';
import type { CryptoPool } from '../platform/crypto-pool';
import { estimateStorage, isPersisted } from '../platform/device-storage';
import type { DriveService } from '../drive/drive-service';
import { describeError, InvalidRequestError } from '../platform/errors';
import { FolderChains } from '../drive/folder-chains';
import type { OutboxRecord } from '../platform/local-db';
import { reread, storedItem, type OutboxItem } from './item';
import { drainLockName, isLocked, sealLockName } from './locks';
import { isPending, isSendable, transition, type OutboxEvent } from './machine';
import { OutboxSealing } from './sealing';
import { abandonSession, classifySendFailure, OutboxSender } from './sender';
import {
  deleteChunks,
  deleteItem,
  outboxOf,
  outboxRecord,
  patchRecord,
  progressOf,
  putRecord,
} from './store';
import { OutboxTabs, type OutboxChange } from './tabs';
import { transferView } from './view';
import { keepCommitted } from '../platform/seed-store';
import type { TransferList } from '../transfers/transfer-list';
import type { UploadWakeLock } from '../platform/wake-lock';

/** Files sending at once; the rest wait their turn. */
const FILES_AT_ONCE = 2;
/** Item-level retries after withRetry's own attempts gave up: from seconds up to 5 minutes. */
const ITEM_BACKOFF = { baseMs: 2_000, maxMs: 5 * 60_000 };

const INTERRUPTED =
  'Encryption was interrupted (the app closed before the file was fully stored). Add the file again.';

export class UploadService {
  private readonly items = new Map<string, OutboxItem>();
  private owner: string | null = null;
  /** Whether this tab holds the account's drain lock. */
  private draining = false;
  private releaseLock: (() => void) | null = null;
  private running = 0;
  /** Told after a file committed and its chunks moved to the seed store. */
  onCommitted: (() => void) | null = null;
  private readonly tabs = new OutboxTabs(
    () => this.owner,
    (id, change) => void this.heard(id, change),
  );
  private readonly sealing: OutboxSealing;
  private readonly sender: OutboxSender;

  constructor(
    private readonly api: Api,
    pool: CryptoPool,
    private readonly drive: DriveService,
    private readonly transfers: TransferList,
    private readonly session: () => OpenSession,
    private readonly connectivity: Connectivity,
    private readonly wakeLock: UploadWakeLock,
  ) {
    this.sealing = new OutboxSealing(api, pool, drive, session, connectivity, this.items, {
      listed: (item) => {
        this.items.set(item.record.id, item);
        this.show(item);
      },
      show: (item) => this.show(item),
      pump: () => this.pump(),
      sealed: (item) => {
        this.apply(item, { type: 'sealed' });
        this.pump();
      },
      unlisted: (item) => {
        this.items.delete(item.record.id);
        this.changed();
      },
    });
    this.sender = new OutboxSender(api, transfers, this.tabs, (item) => this.show(item));
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
        await this.sealing.enqueue({
          owner,
          folderId,
          file: job.file,
          id: job.id,
          cancelled: job.signal,
        });
        this.tabs.tell(job.id, 'added');
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
    this.tabs.tell(id, 'cancelled');
    const { uploadId } = item.record;
    void deleteItem(id).then(() => abandonSession(this.api, uploadId));
  }

  cancelAll(): void {
    for (const id of [...this.items.keys()]) this.cancel(id);
  }

  pause(id: string | null): void {
    for (const item of this.targets(id))
      if (this.pauseItem(item)) this.tabs.tell(item.record.id, 'paused');
    this.pump();
  }

  resume(id: string | null): void {
    for (const item of this.targets(id))
      if (this.resumeItem(item)) this.tabs.tell(item.record.id, 'resumed');
    this.wake();
  }

  retry(id: string): void {
    const item = this.items.get(id);
    if (item && this.resumeItem(item)) this.tabs.tell(id, 'resumed');
    this.wake();
  }

  /** Pauses one item; the stored phase changes once sealing is over. Returns whether it paused. */
  private pauseItem(item: OutboxItem): boolean {
    const before = item.status.state;
    this.apply(item, { type: 'pause' });
    if (item.status.state !== 'paused' || before === 'paused') return false;
    item.run?.abort();
    this.clearTimer(item);
    if (item.record.phase !== 'encrypting') this.persist(item, { phase: 'paused' });
    return true;
  }

  /** Resumes a paused item, or retries a failed one whose chunks are stored. */
  private resumeItem(item: OutboxItem): boolean {
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
      await reread(item);
      this.show(item);
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
        abandonSession(this.api, record.uploadId);
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
      const item = storedItem(record, progress);
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

  private start(item: OutboxItem): void {
    this.running++;
    const run = new AbortController();
    item.run = run;
    const signal = AbortSignal.any([run.signal, item.life.signal]);
    this.apply(item, { type: 'start' });
    void this.sender
      .send(item, signal)
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

  private committed(item: OutboxItem): void {
    if (item.life.signal.aborted) return;
    this.apply(item, { type: 'committed' });
    this.items.delete(item.record.id);
    // Its sealed chunks stay on this device for its share links' recipients (ADR 0007).
    void keepCommitted(item.record)
      .catch(() => deleteItem(item.record.id))
      .then(() => {
        this.tabs.tell(item.record.id, 'done');
        this.onCommitted?.();
      });
    this.changed();
  }

  private sendFailed(item: OutboxItem, error: unknown, signal: AbortSignal): void {
    // Paused or cancelled: whoever aborted has set the state already.
    if (signal.aborted || !this.items.has(item.record.id)) return;
    if (item.status.state === 'failed') return; // its sealing failed and said why
    if (!this.connectivity.online) {
      this.apply(item, { type: 'offline' });
      void this.connectivity.requestSync();
      return;
    }
    const failure = classifySendFailure(error);
    if (failure === 'transient') {
      this.apply(item, { type: 'transient', reason: describeError(error) });
      this.clearTimer(item);
      const delay = backoffDelay(item.status.attempts, ITEM_BACKOFF, Math.random());
      item.timer = setTimeout(() => this.due(item), delay);
      return;
    }
    console.warn('upload failed', error);
    const retryable = failure !== 'lost';
    const reason = describeError(error);
    this.apply(item, { type: 'fail', reason, retryable });
    this.persist(item, { phase: 'failed', reason, retryable }, 'failed');
  }

  private due(item: OutboxItem): void {
    this.clearTimer(item);
    this.apply(item, { type: 'due' });
    this.pump();
  }

  // ——— bookkeeping ———

  private apply(item: OutboxItem, event: OutboxEvent): void {
    const next = transition(item.status, event);
    if (next === item.status) return;
    item.status = next;
    this.show(item);
  }

  private show(item: OutboxItem): void {
    if (!this.transfers.has(item.record.id)) return;
    this.transfers.show(item.record.id, transferView(item));
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
  private persist(item: OutboxItem, patch: Partial<OutboxRecord>, change?: 'failed'): void {
    Object.assign(item.record, patch);
    void patchRecord(item.record.id, patch).then(
      () => change && this.tabs.tell(item.record.id, change),
      (error: unknown) => console.warn('outbox update not saved', error),
    );
  }

  private targets(id: string | null): OutboxItem[] {
    if (id === null) return [...this.items.values()];
    const item = this.items.get(id);
    return item ? [item] : [];
  }

  private clearTimer(item: OutboxItem): void {
    if (item.timer !== null) clearTimeout(item.timer);
    item.timer = null;
  }

  /** Another tab of this account changed an item: follow, without telling anyone back. */
  private async heard(id: string, change: OutboxChange): Promise<void> {
    if (change === 'added') return this.load();
    const item = this.items.get(id);
    if (!item || item.sealing) return;
    switch (change) {
      case 'progress':
        if (item.run) return;
        if (item.status.state === 'queued' || item.status.state === 'waiting-network')
          item.status = { ...item.status, state: 'uploading' };
        await reread(item);
        return this.show(item);
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

  /** Takes an item out of this tab: `shown` is its last state in the list, or null to unlist it. */
  private drop(item: OutboxItem, shown: 'cancelled' | null): void {
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
