// One outbox item as this page holds it: the stored record, its place in the state machine, and
// what this page knows of its chunks. Adding, sending and the queue all work on this shape.
import type { ChunkProgress, OutboxRecord } from '../platform/local-db';
import { initialStatus, type ItemStatus } from './machine';
import { outboxRecord, progressOf } from './store';
import { SealWatch } from './seal-watch';

/** Chunks of one file sealed, or sent, at once: keeps the workers and the line busy. */
export const CHUNKS_IN_FLIGHT = 4;

export interface OutboxItem {
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

/** An item about to be sealed by this page. */
export function newItem(record: OutboxRecord): OutboxItem {
  return {
    record,
    status: initialStatus('encrypting'),
    ids: new Array<string>(record.createBody.chunkCount),
    acked: new Set(),
    sealedBytes: 0,
    sealing: new SealWatch(),
    life: new AbortController(),
    run: null,
    timer: null,
  };
}

/** An item read back from the store, with its chunks' progress. */
export function storedItem(record: OutboxRecord, progress: ChunkProgress[]): OutboxItem {
  const item: OutboxItem = {
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
  return item;
}

/** Reads an item's record and acknowledged chunks again (another tab sent some of them). */
export async function reread(item: OutboxItem): Promise<void> {
  const [record, progress] = await Promise.all([
    outboxRecord(item.record.id),
    progressOf(item.record.id),
  ]);
  if (record) item.record = record;
  item.acked = new Set(progress.filter((chunk) => chunk.acked).map((chunk) => chunk.index));
}
