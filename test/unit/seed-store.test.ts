// The seed store (ADR 0007) on an in-memory IndexedDB: a committed upload's chunks move out of
// the outbox in one step, and the store keeps the newest files within its bound.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { OutboxRecord } from '../../client/src/services/platform/local-db';
import { outboxRecord, putChunk, putRecord } from '../../client/src/services/outbox/store';
import {
  keepCommitted,
  seedChunk,
  seededFiles,
} from '../../client/src/services/platform/seed-store';

const OWNER = 'owner-of-the-files';

/** A queued file of `sizes.length` sealed chunks, as the outbox stores it before commit. */
async function queued(id: string, sizes: number[]): Promise<OutboxRecord> {
  const record = {
    id,
    owner: OWNER,
    parentId: 'parent',
    nodeId: `node-${id}`,
    name: `${id}.bin`,
    size: 0,
    lastModified: 0,
    queuedAt: 0,
    phase: 'ready',
    reason: null,
    retryable: true,
    createBody: { revision: 1, chunkCount: sizes.length },
    uploadId: 'upload',
    manifest: 'manifest',
    chunkIds: sizes.map((_, i) => `id-${i}`),
  } as unknown as OutboxRecord;
  await putRecord(record);
  for (const [index, size] of sizes.entries()) {
    const chunk = new Blob([new Uint8Array(size).fill(index + 1)]);
    await putChunk({ item: id, index, id: `id-${index}`, plainSize: size }, chunk);
  }
  return record;
}

describe('seed store', () => {
  it('keeps a committed file’s chunks and deletes its outbox item', async () => {
    const record = await queued('a', [30, 20]);
    await keepCommitted(record, 1, 1000);
    expect(await outboxRecord('a')).toBeUndefined();
    expect(await seededFiles(OWNER)).toEqual([
      { nodeId: 'node-a', owner: OWNER, revision: 1, count: 2, bytes: 50, storedAt: 1 },
    ]);
    const second = await seedChunk('node-a', 1);
    expect(new Uint8Array(await second!.arrayBuffer())).toEqual(new Uint8Array(20).fill(2));
  });

  it('drops the oldest files beyond its bound, and never keeps a file larger than it', async () => {
    await keepCommitted(await queued('b', [40]), 2, 100); // a (50) + b (40) = 90
    await keepCommitted(await queued('c', [30]), 3, 100); // 120: a goes
    await keepCommitted(await queued('d', [101]), 4, 100); // too large on its own
    const kept = (await seededFiles(OWNER)).map((file) => file.nodeId).sort();
    expect(kept).toEqual(['node-b', 'node-c']);
    expect(await seedChunk('node-a', 0)).toBeUndefined();
    expect(await outboxRecord('d')).toBeUndefined();
  });
});
