import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobTooLargeError, type ChunkKey } from '../../storage-server/src/stores/blob-store';
import { S3BlobStore } from '../../storage-server/src/stores/s3-blob-store';
import { S3Emulator } from './s3-emulator';

// The S3 store on its own, against a local S3-compatible server: what the integration-scale suite
// exercises through the API, plus the reconciliation the server runs at start-up.

let emulator: S3Emulator;
let dataDir: string;
let store: S3BlobStore;
const prefix = 'store-test/';

beforeAll(async () => {
  emulator = await S3Emulator.start();
  dataDir = await mkdtemp(path.join(tmpdir(), 'coffre-s3-store-'));
  store = new S3BlobStore(emulator.settings(prefix), dataDir);
  await store.init();
});

afterAll(async () => {
  await emulator.close();
  await rm(dataDir, { recursive: true, force: true });
});

const newId = () => randomBytes(16).toString('base64url');

async function put(contentId: string, index: number, bytes: Uint8Array): Promise<ChunkKey> {
  const received = await store.receive(Readable.from([bytes]), bytes.length);
  const key = { contentId, index, chunkId: received.sha256 };
  await store.place(received, key);
  return key;
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of stream) pieces.push(piece as Buffer);
  return Buffer.concat(pieces);
}

describe('S3 blob store', () => {
  it('stores a chunk, serves it whole and by range, and leaves no temp file', async () => {
    const bytes = randomBytes(4 * 1024 * 1024 + 41);
    const key = await put(newId(), 0, bytes);
    expect(key.chunkId).toBe(createHash('sha256').update(bytes).digest('base64url'));
    expect((await bytesOf(await store.read(key, null))).equals(bytes)).toBe(true);
    const part = await bytesOf(await store.read(key, { start: 4_000_000, end: 4_000_099 }));
    expect(part.equals(bytes.subarray(4_000_000, 4_000_100))).toBe(true);
    expect(await readdir(path.join(dataDir, 'tmp'))).toEqual([]);
    expect(await emulator.storedChunks(prefix)).toContain(`${key.contentId}/0-${key.chunkId}`);
  });

  it('refuses a body past the limit and keeps nothing of it', async () => {
    await expect(store.receive(Readable.from([randomBytes(101)]), 100)).rejects.toBeInstanceOf(
      BlobTooLargeError,
    );
    expect(await readdir(path.join(dataDir, 'tmp'))).toEqual([]);
  });

  it('lists content ids and removes one content with all its chunks', async () => {
    const kept = newId();
    const dropped = newId();
    await put(kept, 0, randomBytes(10));
    for (let index = 0; index < 3; index++) await put(dropped, index, randomBytes(10));
    expect(await store.listContentIds()).toEqual(expect.arrayContaining([kept, dropped]));
    await store.removeContent(dropped);
    const ids = await store.listContentIds();
    expect(ids).toContain(kept);
    expect(ids).not.toContain(dropped);
    expect((await emulator.storedChunks(prefix)).some((name) => name.startsWith(dropped))).toBe(
      false,
    );
  });

  it('removes a single chunk', async () => {
    const key = await put(newId(), 0, randomBytes(10));
    await store.remove(key);
    expect(await emulator.storedChunks(prefix)).not.toContain(`${key.contentId}/0-${key.chunkId}`);
  });
});
