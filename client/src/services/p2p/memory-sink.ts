import type { ChunkSink } from './transfer-receiver';

/**
 * Verified chunks kept in memory, by index: enough for small files and for resuming within one
 * page. The IndexedDB-backed sink will implement the same interface.
 */
export class MemorySink implements ChunkSink {
  readonly chunks = new Map<number, { plaintext: ArrayBuffer }>();

  async held(): Promise<Iterable<number>> {
    return [...this.chunks.keys()];
  }

  async put(index: number, plaintext: ArrayBuffer): Promise<void> {
    this.chunks.set(index, { plaintext });
  }

  /** The plaintext in index order, once every chunk of `count` is held. */
  plaintext(count: number): Blob {
    const parts = Array.from({ length: count }, (_, index) => {
      const entry = this.chunks.get(index);
      if (!entry) throw new Error(`chunk ${index} is missing`);
      return entry.plaintext;
    });
    return new Blob(parts);
  }
}
