// What a download asks of peers that may hold the file's sealed chunks (a share link's room,
// format.md §13.7). Bytes from a peer are unverified: the caller checks them exactly as bytes
// from the server, and blames the peer when they fail.

/** One revision of one file, as peers name it. */
export interface PeerFile {
  nodeId: string;
  revision: number;
  count: number;
}

export interface PeerChunk {
  /** Exactly the chunk, in a buffer of its own (it is moved to a worker to be verified). */
  bytes: Uint8Array<ArrayBuffer>;
  /** The bytes failed verification: the peer is dropped and never asked again. */
  blame(index: number): void;
}

export interface ChunkPeers {
  /** Chunk `index` (exactly `length` bytes) from a peer, or null: take it from the server. */
  fetch(index: number, length: number, signal: AbortSignal): Promise<PeerChunk | null>;
  /** Whether any peer is connected: the download then keeps more chunks due at once. */
  connected(): boolean;
  /** A verified chunk, kept to serve other peers while this page stays open. */
  keep(index: number, chunk: Uint8Array): void;
}
