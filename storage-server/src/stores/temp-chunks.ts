import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { BlobTooLargeError, type ReceivedChunk } from './blob-store';

const FLAGS_NEW_FILE = 'wx';

/**
 * Chunk bodies on their way in: written to a local temp file, hashed and measured while they
 * stream, fsynced, and never held in memory. Every store receives through this.
 */
export class TempChunks {
  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  async receive(source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<ReceivedChunk> {
    const temp = path.join(this.dir, `${randomBytes(12).toString('hex')}.part`);
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

  async discard(received: ReceivedChunk): Promise<void> {
    await rm(received.temp, { force: true });
  }

  /** Removes what a crash left; only before serving, when no request can be writing here. */
  async clear(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.dir, { recursive: true });
  }
}
