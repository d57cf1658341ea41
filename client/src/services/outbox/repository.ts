// The one writer of outbox items: each write changes the item this page holds and its IndexedDB
// rows (store.ts) together, then tells its subscribers what changed. Status moves only through
// the state machine (machine.ts); the record keeps of it what a reload needs (paused, failed and
// why). Writes that record progress resolve once stored, so a reload, a closed tab or a crash
// finds exactly what was sealed and what the server acknowledged.
import type { FailureValue } from '../contract';
import type { ChunkProgress, OutboxRecord } from '../platform/local-db';
import { keepCommitted } from '../platform/seed-store';
import type { ItemChange, OutboxItem } from './item';
import { initialStatus, transition, type ItemStatus, type OutboxEvent } from './machine';
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
} from './store';

type Listener = (item: OutboxItem, change: ItemChange) => void;

/**
 * Why a stored item failed. An outbox outlives app updates, and a version before typed failures
 * stored a sentence: that row still shows it as it is, the way an unexpected failure shows its
 * own message.
 */
export function storedReason(reason: OutboxRecord['reason']): FailureValue | null {
  return typeof reason === 'string' ? { kind: 'unexpected', message: reason } : reason;
}

/** An item as the repository holds it; the rest of the outbox sees it as a read-only OutboxItem. */
class Entry implements OutboxItem {
  #record: Readonly<OutboxRecord>;
  #status: ItemStatus;
  ids: string[];
  acked = new Set<number>();
  sealedBytes = 0;

  constructor(record: OutboxRecord, status: ItemStatus) {
    this.#record = Object.freeze(record);
    this.#status = status;
    this.ids = new Array<string>(record.createBody.chunkCount);
  }

  get record(): Readonly<OutboxRecord> {
    return this.#record;
  }

  get status(): ItemStatus {
    return this.#status;
  }

  /** The one way its status changes: a transition of the state machine. Whether it moved. */
  move(event: OutboxEvent): boolean {
    const next = transition(this.#status, event);
    if (next === this.#status) return false;
    this.#status = next;
    return true;
  }

  set(record: OutboxRecord): void {
    this.#record = Object.freeze(record);
  }
}

/** The phase a record keeps for a state; null for done (committing removes the record). */
function storedPhase(status: ItemStatus): OutboxRecord['phase'] | null {
  switch (status.state) {
    case 'done':
      return null;
    case 'failed':
    case 'paused':
      return status.state;
    default:
      return 'ready';
  }
}

export class OutboxRepository {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<Listener>();
  private owner: string | null = null;

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Lists `owner`'s items from now on (null: none); forgets those of the account before. */
  open(owner: string | null): void {
    this.owner = owner;
    this.entries.clear();
  }

  get(id: string): OutboxItem | undefined {
    return this.entries.get(id);
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** The listed items, in the order they were queued. */
  items(): IterableIterator<OutboxItem> {
    return this.entries.values();
  }

  /** The account's stored records this page does not list, oldest first. */
  async unlisted(): Promise<OutboxRecord[]> {
    if (this.owner === null) return [];
    return (await outboxOf(this.owner)).filter((record) => !this.entries.has(record.id));
  }

  /** Stores a new record and lists its item, about to be sealed. */
  async add(record: OutboxRecord): Promise<OutboxItem> {
    await putRecord(record);
    const entry = new Entry(record, initialStatus('encrypting'));
    this.entries.set(record.id, entry);
    this.emit(entry, { type: 'listed' });
    return entry;
  }

  /** Lists an item read back from the store; null if it is listed already or not this account's. */
  async restore(record: OutboxRecord): Promise<OutboxItem | null> {
    const progress = await progressOf(record.id);
    if (this.entries.has(record.id) || record.owner !== this.owner) return null;
    const state =
      record.phase === 'failed' ? 'failed' : record.phase === 'paused' ? 'paused' : 'queued';
    const entry = new Entry(
      record,
      Object.freeze({
        ...initialStatus(state),
        reason: storedReason(record.reason),
        retryable: record.retryable,
      }),
    );
    for (const chunk of progress) {
      entry.ids[chunk.index] = chunk.id;
      entry.sealedBytes += chunk.plainSize;
      if (chunk.acked) entry.acked.add(chunk.index);
    }
    this.entries.set(record.id, entry);
    this.emit(entry, { type: 'listed' });
    return entry;
  }

  /** Stores an encryption cut short as failed, without its chunks; the item is not listed. */
  async interrupted(record: OutboxRecord, reason: FailureValue): Promise<OutboxRecord> {
    await deleteChunks(record.id);
    const failed: OutboxRecord = {
      ...record,
      phase: 'failed',
      reason,
      retryable: false,
      uploadId: null,
    };
    await putRecord(failed);
    return failed;
  }

  /**
   * Moves the item's status by the state machine (which throws for a move it does not allow) and
   * saves what a reload needs of it. Resolves to whether the stored record agrees.
   */
  apply(item: OutboxItem, event: OutboxEvent): Promise<boolean> {
    const entry = this.entry(item);
    if (!entry.move(event)) return Promise.resolve(true);
    const saved = this.saveStatus(entry);
    this.emit(entry, { type: 'status', event });
    return saved;
  }

  /** Stores one sealed chunk and its progress record. */
  async chunkSealed(
    item: OutboxItem,
    progress: Omit<ChunkProgress, 'item' | 'acked'>,
    chunk: Blob,
  ): Promise<void> {
    const entry = this.entry(item);
    await putChunk({ ...progress, item: entry.record.id }, chunk);
    entry.ids[progress.index] = progress.id;
    entry.sealedBytes += progress.plainSize;
    this.emit(entry, { type: 'chunk-sealed', index: progress.index });
  }

  /** Stores the manifest once every chunk is sealed: from now on sending needs no key. */
  async sealed(item: OutboxItem, manifest: string, chunkIds: string[]): Promise<void> {
    const entry = this.entry(item);
    entry.move({ type: 'sealed' });
    await this.patch(entry, { phase: storedPhase(entry.status) ?? 'ready', manifest, chunkIds });
    this.emit(entry, { type: 'sealed' });
  }

  chunk(item: OutboxItem, index: number): Promise<Blob | undefined> {
    return chunkBlob(item.record.id, index);
  }

  /** A new upload session holds nothing: every chunk goes to it again, once. */
  async opened(item: OutboxItem, uploadId: string): Promise<void> {
    const entry = this.entry(item);
    await markAcked(entry.record.id, [...entry.acked], false);
    entry.acked = new Set();
    await this.patch(entry, { uploadId });
    this.emit(entry, { type: 'session' });
  }

  /** Records that the server holds a chunk this page sent; stored before the next one goes. */
  async acked(item: OutboxItem, index: number): Promise<void> {
    const entry = this.entry(item);
    await markAcked(entry.record.id, [index]);
    entry.acked.add(index);
    entry.move({ type: 'acked' });
    this.emit(entry, { type: 'chunk-acked', index });
  }

  /** Takes the server's word for the chunks it holds (it hashed each on arrival). */
  async reconcile(item: OutboxItem, received: readonly number[]): Promise<void> {
    const entry = this.entry(item);
    const held = new Set(received);
    const gained = received.filter((index) => !entry.acked.has(index));
    // Chunks the server no longer has (it lost them) must go again.
    const lost = [...entry.acked].filter((index) => !held.has(index));
    await markAcked(entry.record.id, gained);
    await markAcked(entry.record.id, lost, false);
    for (const index of gained) entry.acked.add(index);
    for (const index of lost) entry.acked.delete(index);
    this.emit(entry, { type: 'acks-read' });
  }

  /** Reads the record and acknowledged chunks again (another tab changed them); false if gone. */
  async reread(item: OutboxItem): Promise<boolean> {
    const entry = this.entry(item);
    const [record, progress] = await Promise.all([
      outboxRecord(entry.record.id),
      progressOf(entry.record.id),
    ]);
    if (record) entry.set(record);
    entry.acked = new Set(progress.filter((chunk) => chunk.acked).map((chunk) => chunk.index));
    this.emit(entry, { type: 'acks-read' });
    return record !== undefined;
  }

  /** The server committed it: unlisted, its sealed chunks move to the seed store (ADR 0007). */
  commit(item: OutboxItem): Promise<void> {
    const entry = this.entry(item);
    void this.apply(entry, { type: 'committed' });
    this.unlist(entry);
    return keepCommitted(entry.record).catch(() => deleteItem(entry.record.id));
  }

  /** Unlists an item and deletes its record and chunks. */
  delete(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (entry) this.unlist(entry);
    return deleteItem(id);
  }

  /** Unlists an item whose rows another tab removed or now owns. */
  unlist(item: OutboxItem): void {
    const entry = this.entry(item);
    if (this.entries.get(entry.record.id) !== entry) return;
    this.entries.delete(entry.record.id);
    this.emit(entry, { type: 'unlisted' });
  }

  private entry(item: OutboxItem): Entry {
    if (!(item instanceof Entry)) throw new TypeError('not an item of the outbox repository');
    return item;
  }

  /** Saves what a reload needs of the status; while still encrypting, only a failure. */
  private saveStatus(entry: Entry): Promise<boolean> {
    const { status, record } = entry;
    const phase = storedPhase(status);
    if (phase === null || (record.phase === 'encrypting' && phase !== 'failed'))
      return Promise.resolve(true);
    const patch: Partial<OutboxRecord> =
      phase === 'failed'
        ? { phase, reason: status.reason, retryable: status.retryable }
        : phase === 'ready'
          ? { phase, reason: null }
          : { phase };
    const unchanged = (Object.keys(patch) as (keyof OutboxRecord)[]).every(
      (key) => record[key] === patch[key],
    );
    if (unchanged) return Promise.resolve(true);
    return this.patch(entry, patch).then(
      () => true,
      (error: unknown) => {
        console.warn('outbox update not saved', error);
        return false;
      },
    );
  }

  /** Changes the record here at once, and in the store (a cancelled item stays deleted). */
  private patch(entry: Entry, patch: Partial<OutboxRecord>): Promise<void> {
    entry.set({ ...entry.record, ...patch });
    return patchRecord(entry.record.id, patch);
  }

  private emit(entry: Entry, change: ItemChange): void {
    if (this.entries.get(entry.record.id) !== entry && change.type !== 'unlisted') return;
    for (const listener of this.listeners) listener(entry, change);
  }
}
