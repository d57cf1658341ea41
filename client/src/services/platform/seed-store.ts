// The seed store (ADR 0007, format.md §12): sealed chunks of files uploaded from this device,
// kept after their upload committed so the owner's device can serve them in the rooms of its
// share links (format.md §13.7). Bounded: the oldest files go first once the store holds more than
// SEED_STORE_BYTES, and a file larger than that is not kept at all.
import { openLocalDb, type OutboxRecord, type SeedRecord } from './local-db';

export const SEED_STORE_BYTES = 512 * 1024 * 1024;

const range = (key: string) => IDBKeyRange.bound([key, 0], [key, Infinity]);

/**
 * Deletes a committed outbox item, keeping its sealed chunks in the seed store in the same
 * transaction (the same Blobs, so nothing is copied on the page).
 */
export async function keepCommitted(
  record: OutboxRecord,
  now = Date.now(),
  bound = SEED_STORE_BYTES,
): Promise<void> {
  const db = await openLocalDb();
  const tx = db.transaction(
    ['outbox', 'outboxChunks', 'outboxProgress', 'seedFiles', 'seedChunks'],
    'readwrite',
  );
  const chunks = await tx.objectStore('outboxChunks').getAll(range(record.id));
  const bytes = chunks.reduce((sum, blob) => sum + blob.size, 0);
  const { nodeId, owner, createBody } = record;
  const complete = chunks.length === createBody.chunkCount;
  if (complete && bytes <= bound) {
    const seed: SeedRecord = {
      nodeId,
      owner,
      revision: createBody.revision,
      count: chunks.length,
      bytes,
      storedAt: now,
    };
    await tx.objectStore('seedFiles').put(seed);
    await Promise.all(chunks.map((blob, i) => tx.objectStore('seedChunks').put(blob, [nodeId, i])));
  }
  await Promise.all([
    tx.objectStore('outbox').delete(record.id),
    tx.objectStore('outboxChunks').delete(range(record.id)),
    tx.objectStore('outboxProgress').delete(range(record.id)),
    tx.done,
  ]);
  await evictOverBound(bound);
}

/** Deletes the oldest files until the store is within its bound. */
async function evictOverBound(bound: number): Promise<void> {
  const db = await openLocalDb();
  const tx = db.transaction(['seedFiles', 'seedChunks'], 'readwrite');
  const files = (await tx.objectStore('seedFiles').getAll()).sort(
    (a, b) => a.storedAt - b.storedAt,
  );
  let total = files.reduce((sum, file) => sum + file.bytes, 0);
  for (const file of files) {
    if (total <= bound) break;
    total -= file.bytes;
    await tx.objectStore('seedFiles').delete(file.nodeId);
    await tx.objectStore('seedChunks').delete(range(file.nodeId));
  }
  await tx.done;
}

export async function seededFiles(owner: string): Promise<SeedRecord[]> {
  return (await openLocalDb()).getAllFromIndex('seedFiles', 'owner', owner);
}

/** The file's record if this device keeps its sealed chunks. */
export async function seedFile(nodeId: string): Promise<SeedRecord | undefined> {
  return (await openLocalDb()).get('seedFiles', nodeId);
}

export async function seedChunk(nodeId: string, index: number): Promise<Blob | undefined> {
  return (await openLocalDb()).get('seedChunks', [nodeId, index]);
}
