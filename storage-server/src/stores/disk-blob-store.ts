import { createReadStream } from 'node:fs';
import { constants } from 'node:fs';
import { access, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { isId } from '@coffre/core/format';
import {
  checkedContentId,
  chunkName,
  type BlobStore,
  type ByteRange,
  type ChunkKey,
  type ReceivedChunk,
} from './blob-store';
import { TempChunks } from './temp-chunks';

/**
 * Chunks on the local disk (the embedded default): `blobs/<2 hex>/<contentId>/<index>-<chunkId>`.
 * The two-hex fan-out keeps directories small; a rename from the temp dir on the same file
 * system places a chunk atomically.
 */
export class DiskBlobStore implements BlobStore {
  private readonly blobsDir: string;
  private readonly temp: TempChunks;

  constructor(dataDir: string) {
    this.blobsDir = path.join(dataDir, 'blobs');
    this.temp = new TempChunks(path.join(dataDir, 'tmp'));
  }

  async init(): Promise<void> {
    await mkdir(this.blobsDir, { recursive: true });
    await this.temp.init();
  }

  receive(source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<ReceivedChunk> {
    return this.temp.receive(source, maxBytes);
  }

  async place(received: ReceivedChunk, key: ChunkKey): Promise<void> {
    const file = this.pathOf(key);
    const dir = path.dirname(file);
    await mkdir(dir, { recursive: true });
    await rename(received.temp, file);
    // The rename is only durable once the directory entry is.
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  discard(received: ReceivedChunk): Promise<void> {
    return this.temp.discard(received);
  }

  async read(key: ChunkKey, range: ByteRange | null): Promise<Readable> {
    const file = this.pathOf(key);
    // Opened before answering, so a missing file is an error here rather than mid-response.
    const handle = await open(file, 'r');
    return createReadStream('', { fd: handle, ...(range ?? {}) });
  }

  async remove(key: ChunkKey): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async removeContent(contentId: string): Promise<void> {
    await rm(path.join(this.blobsDir, fanOut(contentId), contentId), {
      recursive: true,
      force: true,
    });
  }

  async listContentIds(): Promise<string[]> {
    const ids: string[] = [];
    for (const fan of await readdir(this.blobsDir, { withFileTypes: true })) {
      if (!fan.isDirectory()) continue;
      for (const id of await readdir(path.join(this.blobsDir, fan.name))) {
        // Only directories this store could have made, so removeContent finds them again.
        if (isId(id) && fanOut(id) === fan.name) ids.push(id);
      }
    }
    return ids;
  }

  clearTemp(): Promise<void> {
    return this.temp.clear();
  }

  check(): Promise<void> {
    return access(this.blobsDir, constants.W_OK);
  }

  private pathOf(key: ChunkKey): string {
    return path.join(this.blobsDir, fanOut(key.contentId), chunkName(key));
  }
}

function fanOut(contentId: string): string {
  return Buffer.from(checkedContentId(contentId), 'base64url').toString('hex', 0, 1);
}
