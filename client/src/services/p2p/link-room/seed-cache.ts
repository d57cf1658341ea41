// The verified sealed chunks a link page keeps to serve later peers of the same link while it
// stays open. Memory only and bounded: a recipient without an account gets no storage written on
// their behalf, and a page that downloads a large file keeps only its most recent chunks (the
// oldest are dropped first). Everything here came through this link and verified, so everything
// may be served in its room.
import { ChunkBitmap } from '@coffre/core/protocol/peer-frames';
import type { PeerFile } from '../../downloads/chunk-peers';
import type { SeedSource } from './seeder';

/** 16 full chunks. */
export const SEED_CACHE_BYTES = 64 * 1024 * 1024;

const keyOf = (file: PeerFile) => `${file.nodeId}/${file.revision}/${file.count}`;

export class LinkSeedCache implements SeedSource {
  /** Insertion order is eviction order. */
  readonly #chunks = new Map<string, Uint8Array>();
  #bytes = 0;

  constructor(private readonly maxBytes = SEED_CACHE_BYTES) {}

  put(file: PeerFile, index: number, chunk: Uint8Array): void {
    if (chunk.length > this.maxBytes) return;
    const key = `${keyOf(file)}/${index}`;
    if (this.#chunks.has(key)) return;
    this.#chunks.set(key, chunk);
    this.#bytes += chunk.length;
    for (const [oldest, bytes] of this.#chunks) {
      if (this.#bytes <= this.maxBytes) break;
      this.#chunks.delete(oldest);
      this.#bytes -= bytes.length;
    }
  }

  holds(file: PeerFile): Promise<ChunkBitmap> {
    const bitmap = new ChunkBitmap(file.count);
    for (let index = 0; index < file.count; index += 1) {
      if (this.#chunks.has(`${keyOf(file)}/${index}`)) bitmap.set(index);
    }
    return Promise.resolve(bitmap);
  }

  read(file: PeerFile, index: number): Promise<Uint8Array | null> {
    return Promise.resolve(this.#chunks.get(`${keyOf(file)}/${index}`) ?? null);
  }
}
