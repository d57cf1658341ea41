import type { Readable } from 'node:stream';
import { isId } from '@coffre/core/format';

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

/** Inclusive byte offsets, as in an HTTP Range. */
export interface ByteRange {
  start: number;
  end: number;
}

export class BlobTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`body exceeds ${limit} bytes`);
    this.name = 'BlobTooLargeError';
  }
}

/**
 * Chunk storage. Every chunk of one upload sits under its content id, so dropping an upload or,
 * later, purging a file revision is one `removeContent`. A body is first received into a local
 * temp file (hashed and measured as it streams), and only placed once the server accepts it.
 */
export interface BlobStore {
  /** Streams `source` to a temp file; throws BlobTooLargeError past `maxBytes`, leaving nothing. */
  receive(source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<ReceivedChunk>;
  /** Durably moves a received chunk into place (the temp file is gone afterwards). */
  place(received: ReceivedChunk, key: ChunkKey): Promise<void>;
  discard(received: ReceivedChunk): Promise<void>;
  /** The chunk's bytes, or the part of them in `range`. */
  read(key: ChunkKey, range: ByteRange | null): Promise<Readable>;
  remove(key: ChunkKey): Promise<void>;
  removeContent(contentId: string): Promise<void>;
  /** Every content id that has chunks stored, for start-up reconciliation. */
  listContentIds(): Promise<string[]>;
  /** Deletes temp files left by a crash; call only before serving. */
  clearTemp(): Promise<void>;
  /** Throws when the store cannot be reached (readiness). */
  check(): Promise<void>;
}

/**
 * `<contentId>/<index>-<chunkId>`, the name of a chunk in every store. Built only from
 * server-made ids, validated integers and hashes the server computed itself, so it is safe as
 * a path or an object key.
 */
export function chunkName(key: ChunkKey): string {
  return `${checkedContentId(key.contentId)}/${chunkFileName(key)}`;
}

export function checkedContentId(contentId: string): string {
  if (!isId(contentId)) throw new Error('invalid content id');
  return contentId;
}

function chunkFileName(key: ChunkKey): string {
  if (!Number.isSafeInteger(key.index) || key.index < 0) throw new Error('invalid chunk index');
  if (!/^[A-Za-z0-9_-]{43}$/.test(key.chunkId)) throw new Error('invalid chunk id');
  return `${key.index}-${key.chunkId}`;
}
