// The upload queue's policy (docs/architecture.md "Upload", format.md §12): what to send next,
// how many at once, when to wait and when to wake. It owns its collaborators: the repository
// (repository.ts) holds every item and writes it, the sealing (sealing.ts) adds files, the sender
// (sender.ts) talks to the server, the tabs (tabs.ts) keep the account's tabs in step, and the
// view (view.ts) shows the queue in the transfers panel.
//
// Items go out with bounded parallelism and retry with jittered exponential backoff; the queue
// survives reloads and days offline. Chunks may go out while later ones are still being sealed,
// so a fast line is not held up by the extra step. Every tab of the account lists the queue; one
// drains it (a Web Lock), and the others follow what it tells them.
import type { OpenSession } from '../account/account-service';
import type { DeviceStorage, FailureValue } from '../contract';
import type { DriveService } from '../drive/drive-service';
import { FolderChains } from '../drive/folder-chains';
import { backoffDelay } from '../platform/backoff';
import type { Connectivity } from '../platform/connectivity';
import type { CryptoPool } from '../platform/crypto-pool';
import { estimateStorage, isPersisted } from '../platform/device-storage';
import { failureValue, InvalidRequestError } from '../platform/errors';
import type { Api } from '../platform/http-client';
import type { UploadWakeLock } from '../platform/wake-lock';
import type { TransferList } from '../transfers/transfer-list';
import type { ItemChange, OutboxItem } from './item';
import { drainLockName } from './locks';
import { isPending, isSendable } from './machine';
import { OutboxRepository, storedReason } from './repository';
import { OutboxSealing } from './sealing';
import { classifySendFailure, OutboxSender } from './sender';
import { OutboxTabs, type OutboxChange } from './tabs';
import { OutboxView } from './view';

/** Files sending at once; the rest wait their turn. */
const FILES_AT_ONCE = 2;
/** Item-level retries after withRetry's own attempts gave up: from seconds up to 5 minutes. */
const ITEM_BACKOFF = { baseMs: 2_000, maxMs: 5 * 60_000 };
/** Why an item failed in another tab, when its row says no more. */
const UPLOAD_FAILED: FailureValue = {
  kind: 'invalid',
  refusal: { key: 'upload-failed', detail: null },
};

/** What this page runs for one item it lists or seals. */
interface Job {
  /** Aborted when the item is cancelled or leaves the list: stops its sealing and sending. */
  life: AbortController;
  /** The send in progress, aborted by pause. */
  run: AbortController | null;
  /** The backoff before the next attempt. */
  timer: ReturnType<typeof setTimeout> | null;
}

export class UploadService {
  private owner: string | null = null;
  /** Whether this tab holds the account's drain lock. */
  private draining = false;
  private releaseLock: (() => void) | null = null;
  private running = 0;
  private readonly jobs = new Map<string, Job>();
  /** Told after a file committed and its chunks moved to the seed store. */
  onCommitted: (() => void) | null = null;
  private readonly repository = new OutboxRepository();
  private readonly tabs = new OutboxTabs(
    () => this.owner,
    (id, change) => void this.heard(id, change),
  );
  private readonly view: OutboxView;
  private readonly sender: OutboxSender;
  private readonly sealing: OutboxSealing;

  constructor(
    api: Api,
    pool: CryptoPool,
    private readonly drive: DriveService,
    transfers: TransferList,
    private readonly session: () => OpenSession,
    private readonly connectivity: Connectivity,
    private readonly wakeLock: UploadWakeLock,
  ) {
    this.view = new OutboxView(transfers, this.repository);
    this.sender = new OutboxSender(api, this.repository, this.tabs);
    this.sealing = new OutboxSealing(
      pool,
      drive,
      session,
      connectivity,
      this.repository,
      this.sender,
    );
    this.repository.subscribe((item, change) => this.changed(item, change));
  }

  /** The session opened (online or offline) for `owner`, or closed (null). */
  open(owner: string | null): void {
    if (owner === this.owner) return;
    this.close();
    this.owner = owner;
    this.repository.open(owner);
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
      for (const item of this.repository.items()) {
        // Stop now rather than after withRetry's attempts: nothing gets through while offline,
        // and a chunk cut off mid-way was not acknowledged, so it goes again later.
        if (item.status.state === 'uploading') this.jobs.get(item.record.id)?.run?.abort();
        void this.repository.apply(item, { type: 'offline' });
      }
      return;
    }
    for (const item of this.repository.items()) {
      void this.repository.apply(item, { type: 'online' });
      if (item.status.state === 'retrying') this.due(item);
    }
    this.pump();
  }

  async upload(parentId: string, files: File[]): Promise<void> {
    const owner = this.session().userId;
    const relative = (file: File) => (file.webkitRelativePath || '').split('/').slice(0, -1);
    // Their folders are made on the server first.
    if (files.some((file) => relative(file).length > 0) && !this.connectivity.online)
      throw new InvalidRequestError({ key: 'folders-need-network' });
    const folders = new FolderChains(this.drive, parentId);
    const added = files.map((file) => ({
      file,
      dirs: relative(file),
      ...this.view.adding(file, parentId),
    }));
    const errors: unknown[] = [];
    for (const { file, dirs, id, signal } of added) {
      if (signal.aborted) continue;
      const { life } = this.job(id);
      signal.addEventListener('abort', () => life.abort(), { once: true });
      try {
        const folderId = await folders.folderFor(dirs);
        this.view.placed(id, folderId);
        await this.sealing.seal({ owner, folderId, file, id, signal: life.signal });
        this.tabs.tell(id, 'added');
      } catch (error) {
        if (signal.aborted) continue;
        console.warn('upload not queued', error);
        this.view.refused(id, error);
        errors.push(error);
      } finally {
        if (!this.repository.has(id)) this.endJob(id);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) {
      throw new InvalidRequestError({
        key: 'some-not-queued',
        failed: errors.length,
        total: files.length,
        first: failureValue(errors[0]),
      });
    }
  }

  cancel(id: string): void {
    const item = this.repository.get(id);
    // Not in the outbox: still waiting its turn to be encrypted, or refused when added.
    if (!item) return this.view.cancelled(id);
    const { uploadId } = item.record;
    this.drop(item, item.status.state === 'failed' ? null : 'cancelled');
    this.tabs.tell(id, 'cancelled');
    void this.repository.delete(id).then(() => this.sender.abandon(uploadId));
  }

  cancelAll(): void {
    for (const { record } of [...this.repository.items()]) this.cancel(record.id);
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
    const item = this.repository.get(id);
    if (item && this.resumeItem(item)) this.tabs.tell(id, 'resumed');
    this.wake();
  }

  async deviceStorage(): Promise<DeviceStorage> {
    const [estimate, persisted] = await Promise.all([estimateStorage(), isPersisted()]);
    const queued = [...this.repository.items()].filter((item) => isPending(item.status.state));
    return {
      ...estimate,
      queued: queued.reduce((sum, item) => sum + item.record.createBody.size, 0),
      queuedFiles: queued.length,
      persisted,
    };
  }

  /** Pauses one item (the stored phase follows once sealing is over); whether it paused. */
  private pauseItem(item: OutboxItem): boolean {
    const before = item.status.state;
    void this.repository.apply(item, { type: 'pause' });
    if (item.status.state !== 'paused' || before === 'paused') return false;
    const job = this.job(item.record.id);
    job.run?.abort();
    clearTimer(job);
    return true;
  }

  /** Resumes a paused item, or retries a failed one whose chunks are stored; whether it did. */
  private resumeItem(item: OutboxItem): boolean {
    const { state, retryable } = item.status;
    if (state === 'paused') void this.repository.apply(item, { type: 'resume' });
    else if (state === 'failed' && retryable) void this.repository.apply(item, { type: 'retry' });
    else return false;
    return true;
  }

  // ——— draining: send from the outbox ———

  private async startDraining(owner: string): Promise<void> {
    if (this.owner !== owner) return;
    this.draining = true;
    await this.load();
    // Shown as sending while another tab drained: this tab takes them over from the store.
    for (const item of this.repository.items()) {
      const { id } = item.record;
      const { state } = item.status;
      if (this.jobs.get(id)?.run || (state !== 'uploading' && state !== 'retrying')) continue;
      if (this.sealing.watching(id)) continue;
      void this.repository.apply(item, { type: 'orphaned' });
      await this.repository.reread(item);
    }
    this.wake();
  }

  /** Lists the account's items this page does not know yet (start, or another tab added some). */
  private async load(): Promise<void> {
    const owner = this.owner;
    if (!owner) return;
    for (const stored of await this.repository.unlisted()) {
      if (this.repository.has(stored.id) || this.owner !== owner) continue;
      const record =
        stored.phase === 'encrypting' ? await this.sealing.interrupted(stored) : stored;
      if (record) await this.repository.restore(record);
    }
    this.pump();
  }

  private pump(): void {
    if (!this.draining) return;
    if (!this.connectivity.online) {
      for (const item of this.repository.items())
        void this.repository.apply(item, { type: 'offline' });
      void this.connectivity.requestSync();
      return;
    }
    for (const item of this.repository.items()) {
      if (this.running >= FILES_AT_ONCE) break;
      const { id, uploadId } = item.record;
      const job = this.job(id);
      if (job.run) continue;
      // Chunks may go out while later ones are sealed, once add time opened the server session.
      const pipelined =
        item.status.state === 'encrypting' &&
        this.sealing.watching(id) !== null &&
        uploadId !== null;
      if (isSendable(item.status.state) || pipelined) this.start(item, job);
    }
  }

  private start(item: OutboxItem, job: Job): void {
    this.running++;
    const run = new AbortController();
    job.run = run;
    const signal = AbortSignal.any([run.signal, job.life.signal]);
    void this.repository.apply(item, { type: 'start' });
    void this.sender
      .send(item, signal, this.sealing.watching(item.record.id))
      .then(
        () => this.committed(item, job),
        (error: unknown) => this.sendFailed(item, error, signal),
      )
      .finally(() => {
        this.running--;
        if (job.run === run) job.run = null;
        this.pump();
      });
  }

  private committed(item: OutboxItem, job: Job): void {
    if (job.life.signal.aborted) return;
    // Its sealed chunks stay on this device for its share links' recipients (ADR 0007).
    void this.repository.commit(item).then(() => {
      this.tabs.tell(item.record.id, 'done');
      this.onCommitted?.();
    });
  }

  private sendFailed(item: OutboxItem, error: unknown, signal: AbortSignal): void {
    const { id } = item.record;
    // Paused or cancelled: whoever aborted has set the state already.
    if (signal.aborted || !this.repository.has(id)) return;
    if (item.status.state === 'failed') return; // its sealing failed and said why
    if (!this.connectivity.online) {
      void this.repository.apply(item, { type: 'offline' });
      void this.connectivity.requestSync();
      return;
    }
    const failure = classifySendFailure(error);
    if (failure === 'transient') {
      void this.repository.apply(item, { type: 'transient', reason: failureValue(error) });
      const job = this.job(id);
      clearTimer(job);
      const delay = backoffDelay(item.status.attempts, ITEM_BACKOFF, Math.random());
      job.timer = setTimeout(() => this.due(item), delay);
      return;
    }
    console.warn('upload failed', error);
    const reason = failureValue(error);
    void this.repository
      .apply(item, { type: 'fail', reason, retryable: failure !== 'lost' })
      .then((saved) => saved && this.tabs.tell(id, 'failed'));
  }

  private due(item: OutboxItem): void {
    const job = this.jobs.get(item.record.id);
    if (job) clearTimer(job);
    void this.repository.apply(item, { type: 'due' });
    this.pump();
  }

  // ——— following the repository and the other tabs ———

  private changed(item: OutboxItem, change: ItemChange): void {
    const { id } = item.record;
    switch (change.type) {
      case 'listed':
        this.job(id);
        break;
      case 'unlisted':
        this.endJob(id);
        break;
      // The drain may start sending: a session opened at add time, or every chunk is stored.
      case 'session':
      case 'sealed':
        this.pump();
        break;
    }
    this.keepAwake();
  }

  /** Another tab of this account changed an item: follow, without telling anyone back. */
  private async heard(id: string, change: OutboxChange): Promise<void> {
    if (change === 'added') return this.load();
    const item = this.repository.get(id);
    if (!item || this.sealing.watching(id)) return;
    switch (change) {
      case 'progress':
        if (this.jobs.get(id)?.run) return;
        void this.repository.apply(item, { type: 'sent-elsewhere' });
        await this.repository.reread(item);
        return;
      case 'done':
        void this.repository.apply(item, { type: 'committed-elsewhere' });
        return this.repository.unlist(item);
      case 'cancelled':
        return this.drop(item, item.status.state === 'failed' ? null : 'cancelled');
      case 'paused':
        this.pauseItem(item);
        return this.pump();
      case 'resumed':
        this.resumeItem(item);
        return this.wake();
      case 'failed': {
        const stored = await this.repository.reread(item);
        if (!stored || this.repository.get(id) !== item) return;
        this.jobs.get(id)?.run?.abort();
        const { reason, retryable } = item.record;
        void this.repository.apply(item, {
          type: 'fail',
          reason: storedReason(reason) ?? UPLOAD_FAILED,
          retryable,
        });
        return;
      }
    }
  }

  // ——— bookkeeping ———

  /** Keeps the device awake while anything is sealed or sent. */
  private keepAwake(): void {
    let active = false;
    for (const { status } of this.repository.items())
      if (status.state === 'uploading' || status.state === 'encrypting') active = true;
    this.wakeLock.set(active);
  }

  /** Takes an item out of this tab: `shown` is its last state in the list, or null to unlist it. */
  private drop(item: OutboxItem, shown: 'cancelled' | null): void {
    this.repository.unlist(item);
    this.view.dropped(item.record.id, shown);
  }

  private targets(id: string | null): OutboxItem[] {
    if (id === null) return [...this.repository.items()];
    const item = this.repository.get(id);
    return item ? [item] : [];
  }

  private job(id: string): Job {
    let job = this.jobs.get(id);
    if (!job) {
      job = { life: new AbortController(), run: null, timer: null };
      this.jobs.set(id, job);
    }
    return job;
  }

  private endJob(id: string): void {
    const job = this.jobs.get(id);
    if (!job) return;
    job.life.abort();
    job.run?.abort();
    clearTimer(job);
    this.jobs.delete(id);
  }

  /** Stops sending (log out, account switch); the items stay stored for their account. */
  private close(): void {
    for (const [id, job] of this.jobs) {
      job.run?.abort();
      if (this.sealing.watching(id)) job.life.abort();
      clearTimer(job);
    }
    this.jobs.clear();
    this.draining = false;
    this.releaseLock?.();
    this.releaseLock = null;
    this.wakeLock.set(false);
  }
}

function clearTimer(job: Job): void {
  if (job.timer !== null) clearTimeout(job.timer);
  job.timer = null;
}
