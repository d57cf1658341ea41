import type { ChunkSink } from '../../client/src/services/p2p/wire/chunk-receiver';

/**
 * The plaintext of verified chunks kept in memory, by index: the transfer tests' sink (the app
 * keeps received chunks in IndexedDB: client/src/services/p2p/direct/received-store.ts).
 */
export class MemorySink implements ChunkSink {
  readonly chunks = new Map<number, Uint8Array<ArrayBuffer>>();

  async held(): Promise<Iterable<number>> {
    return [...this.chunks.keys()];
  }

  async put(index: number, plaintext: Uint8Array<ArrayBuffer>): Promise<void> {
    this.chunks.set(index, plaintext.slice()); // the receiver reuses the bytes it lends
  }

  /** The plaintext in index order, once every chunk of `count` is held. */
  plaintext(count: number): Blob {
    const parts = Array.from({ length: count }, (_, index) => {
      const plaintext = this.chunks.get(index);
      if (!plaintext) throw new Error(`chunk ${index} is missing`);
      return plaintext;
    });
    return new Blob(parts);
  }
}
