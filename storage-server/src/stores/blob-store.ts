import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { isId } from '../../../core/format';

/** Where one stored chunk lives: the upload that received it, its index and its SHA-256. */
export interface ChunkKey {
  contentId: string;
  index: number;
  chunkId: string;
}

/** A chunk body written to a temp file, measured and hashed, not yet in place. */
export interface ReceivedChunk {
  temp: string;
  size: number;
  /** SHA-256 of the bytes, base64url. */
  sha256: string;
}

export class BlobTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`body exceeds ${limit} bytes`);
    this.name = 'BlobTooLargeError';
  }
}

/**
 * Chunk storage. Every chunk of one upload sits under its content id, so dropping an upload or,
 * later, purging a file revision is one `removeContent`.
 */
export interface BlobStore {
  /** Streams `source` to a temp file; throws BlobTooLargeError past `maxBytes`, leaving nothing. */
  receive(source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<ReceivedChunk>;
  /** Durably moves a received chunk into place. */
  place(received: ReceivedChunk, key: ChunkKey): Promise<void>;
  discard(received: ReceivedChunk): Promise<void>;
  remove(key: ChunkKey): Promise<void>;
  removeContent(contentId: string): Promise<void>;
  /** Every content id that has chunks on disk, for start-up reconciliation. */
  listContentIds(): Promise<string[]>;
  /** Deletes temp files left by a crash; call only before serving. */
  clearTemp(): Promise<void>;
}

const FLAGS_NEW_FILE = 'wx';

/**
 * Chunks on the local disk: `blobs/<2 hex>/<contentId>/<index>-<chunkId>`. Paths are built only
 * from server-made ids, validated integers and hashes the server computed itself.
 */
export class DiskBlobStore implements BlobStore {
  readonly blobsDir: string;
  private readonly tempDir: string;

  constructor(dataDir: string) {
    this.blobsDir = path.join(dataDir, 'blobs');
    this.tempDir = path.join(dataDir, 'tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.blobsDir, { recursive: true });
    await mkdir(this.tempDir, { recursive: true });
  }

  /** Path of a chunk relative to `blobsDir`. */
  relativePath(key: ChunkKey): string {
    return path.join(this.contentDir(key.contentId), chunkFileName(key));
  }

  async receive(source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<ReceivedChunk> {
    const temp = path.join(this.tempDir, `${randomBytes(12).toString('hex')}.part`);
    const file = await open(temp, FLAGS_NEW_FILE, 0o600);
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const piece of source) {
        size += piece.byteLength;
        if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
        hash.update(piece);
        await file.write(piece);
      }
      await file.sync();
    } catch (error) {
      await file.close();
      await unlink(temp).catch(() => {});
      throw error;
    }
    await file.close();
    return { temp, size, sha256: hash.digest('base64url') };
  }

  async place(received: ReceivedChunk, key: ChunkKey): Promise<void> {
    const dir = path.join(this.blobsDir, this.contentDir(key.contentId));
    await mkdir(dir, { recursive: true });
    await rename(received.temp, path.join(dir, chunkFileName(key)));
    // The rename is only durable once the directory entry is.
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async discard(received: ReceivedChunk): Promise<void> {
    await rm(received.temp, { force: true });
  }

  async remove(key: ChunkKey): Promise<void> {
    await rm(path.join(this.blobsDir, this.relativePath(key)), { force: true });
  }

  async removeContent(contentId: string): Promise<void> {
    await rm(path.join(this.blobsDir, this.contentDir(contentId)), {
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
        if (isId(id) && this.contentDir(id) === path.join(fan.name, id)) ids.push(id);
      }
    }
    return ids;
  }

  async clearTemp(): Promise<void> {
    await rm(this.tempDir, { recursive: true, force: true });
    await mkdir(this.tempDir, { recursive: true });
  }

  private contentDir(contentId: string): string {
    if (!isId(contentId)) throw new Error('invalid content id');
    return path.join(Buffer.from(contentId, 'base64url').toString('hex', 0, 1), contentId);
  }
}

function chunkFileName(key: ChunkKey): string {
  if (!Number.isSafeInteger(key.index) || key.index < 0) throw new Error('invalid chunk index');
  if (!/^[A-Za-z0-9_-]{43}$/.test(key.chunkId)) throw new Error('invalid chunk id');
  return `${key.index}-${key.chunkId}`;
}
