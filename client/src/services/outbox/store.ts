// The upload outbox in IndexedDB (schema in platform/local-db.ts, layout in docs/spec/format.md §12).
// Only the repository (repository.ts) writes here, so an item's rows and the item this page holds
// change together; reads are open to what sends a queued file elsewhere (p2p/direct).
import {
  openLocalDb,
  type ChunkKey,
  type ChunkProgress,
  type OutboxRecord,
} from '../platform/local-db';

function itemRange(item: string): IDBKeyRange {
  return IDBKeyRange.bound([item, 0], [item, Infinity]);
}

export async function outboxOf(owner: string): Promise<OutboxRecord[]> {
  const db = await openLocalDb();
  const records = await db.getAllFromIndex('outbox', 'owner', owner);
  return records.sort((a, b) => a.queuedAt - b.queuedAt);
}

export async function outboxRecord(id: string): Promise<OutboxRecord | undefined> {
  return (await openLocalDb()).get('outbox', id);
}

export async function putRecord(record: OutboxRecord): Promise<void> {
  await (await openLocalDb()).put('outbox', record);
}

/** Updates some fields of a record that still exists (a cancelled item stays deleted). */
export async function patchRecord(id: string, patch: Partial<OutboxRecord>): Promise<void> {
  const db = await openLocalDb();
  const tx = db.transaction('outbox', 'readwrite');
  const current = await tx.store.get(id);
  if (current) await tx.store.put({ ...current, ...patch });
  await tx.done;
}

/** Stores one sealed chunk and its progress record in one transaction. */
export async function putChunk(progress: Omit<ChunkProgress, 'acked'>, chunk: Blob): Promise<void> {
  const db = await openLocalDb();
  const tx = db.transaction(['outboxChunks', 'outboxProgress'], 'readwrite');
  const key: ChunkKey = [progress.item, progress.index];
  await Promise.all([
    tx.objectStore('outboxChunks').put(chunk, key),
    tx.objectStore('outboxProgress').put({ ...progress, acked: false }),
    tx.done,
  ]);
}

export async function chunkBlob(item: string, index: number): Promise<Blob | undefined> {
  return (await openLocalDb()).get('outboxChunks', [item, index]);
}

export async function progressOf(item: string): Promise<ChunkProgress[]> {
  return (await openLocalDb()).getAll('outboxProgress', itemRange(item));
}

/** Records that the server holds these chunks; written before the next one is sent. */
export async function markAcked(item: string, indices: number[], acked = true): Promise<void> {
  if (indices.length === 0) return;
  const db = await openLocalDb();
  const tx = db.transaction('outboxProgress', 'readwrite');
  for (const index of indices) {
    const current = await tx.store.get([item, index]);
    if (current && current.acked !== acked) await tx.store.put({ ...current, acked });
  }
  await tx.done;
}

/** Deletes an item's chunks and progress records, keeping (or not) its record. */
export async function deleteChunks(item: string): Promise<void> {
  const db = await openLocalDb();
  const tx = db.transaction(['outboxChunks', 'outboxProgress'], 'readwrite');
  await Promise.all([
    tx.objectStore('outboxChunks').delete(itemRange(item)),
    tx.objectStore('outboxProgress').delete(itemRange(item)),
    tx.done,
  ]);
}

export async function deleteItem(item: string): Promise<void> {
  const db = await openLocalDb();
  const tx = db.transaction(['outbox', 'outboxChunks', 'outboxProgress'], 'readwrite');
  await Promise.all([
    tx.objectStore('outbox').delete(item),
    tx.objectStore('outboxChunks').delete(itemRange(item)),
    tx.objectStore('outboxProgress').delete(itemRange(item)),
    tx.done,
  ]);
}
