import {
  CHUNK_OVERHEAD,
  CHUNK_SIZE,
  FormatError,
  MAX_CHUNKS,
  associatedData,
  assertId,
  assertInteger,
  assertRevision,
  toBase64Url,
} from '../format';
import { IntegrityError } from './errors';
import { contentWrapKey } from './nodes';
import { KDF_CONTEXT, KEY_BYTES, assertKey, deriveSubkey, sha256 } from './primitives';
import { randomBytes } from './random';
import { open, openInto, openKey, plaintextPart, seal, sealToText } from './sealed';

// Subkeys of a content key (format.md §4).
export const chunkKey = (contentKey: Uint8Array) =>
  deriveSubkey(contentKey, KDF_CONTEXT.content, 1);
export const manifestKey = (contentKey: Uint8Array) =>
  deriveSubkey(contentKey, KDF_CONTEXT.content, 2);

/** A fresh key for one revision of a file, wrapped under the file's node key. */
export function createContentKey(
  nodeId: string,
  nodeKey: Uint8Array,
  revision: number,
): { contentKey: Uint8Array; wrappedContentKey: string } {
  assertId(nodeId, 'node id');
  assertRevision(revision);
  assertKey(nodeKey, 'node key');
  const contentKey = randomBytes(KEY_BYTES);
  const wrappedContentKey = sealToText(
    contentWrapKey(nodeKey),
    associatedData('content-key', nodeId, revision),
    contentKey,
  );
  return { contentKey, wrappedContentKey };
}

export function openContentKey(
  nodeId: string,
  nodeKey: Uint8Array,
  revision: number,
  wrapped: string,
): Uint8Array {
  assertId(nodeId, 'node id');
  assertRevision(revision);
  assertKey(nodeKey, 'node key');
  return openKey(contentWrapKey(nodeKey), associatedData('content-key', nodeId, revision), wrapped);
}

/** Chunk id: SHA-256 of the whole sealed chunk, checkable by any holder before decryption. */
export function chunkId(chunk: Uint8Array): string {
  return toBase64Url(sha256(chunk));
}

/**
 * Seals and opens the chunks of one file revision (format.md §5). The chunk key and the AD prefix
 * are computed once per file; each chunk's AD adds its index, the count and the final flag, so a
 * chunk swapped, dropped, duplicated or cut short fails to open (R15).
 */
export class ChunkSealer {
  readonly count: number;
  readonly #nodeId: string;
  readonly #revision: number;
  readonly #key: Uint8Array;
  readonly #expectedIds: readonly string[] | undefined;

  /** With `expectedIds` (a verified manifest's chunk list) open() also checks each chunk's id. */
  constructor(
    contentKey: Uint8Array,
    nodeId: string,
    revision: number,
    count: number,
    expectedIds?: readonly string[],
  ) {
    assertKey(contentKey, 'content key');
    this.count = assertInteger(count, 1, MAX_CHUNKS, 'chunk count');
    if (expectedIds !== undefined && expectedIds.length !== count) {
      throw new FormatError('expected chunk ids do not match the chunk count');
    }
    assertId(nodeId, 'node id');
    this.#nodeId = nodeId;
    this.#revision = assertRevision(revision);
    this.#key = chunkKey(contentKey);
    this.#expectedIds = expectedIds;
  }

  #ad(index: number): Uint8Array {
    const final = index === this.count - 1 ? 1 : 0;
    return associatedData('chunk', this.#nodeId, this.#revision, index, this.count, final);
  }

  /** Plaintext length bounds: full chunks except the last, which holds 1…CHUNK_SIZE (0 if alone). */
  #lengthFits(index: number, plainLength: number): boolean {
    if (index < this.count - 1) return plainLength === CHUNK_SIZE;
    return plainLength <= CHUNK_SIZE && (plainLength > 0 || this.count === 1);
  }

  seal(index: number, plaintext: Uint8Array): Uint8Array<ArrayBuffer> {
    assertInteger(index, 0, this.count - 1, 'chunk index');
    if (!this.#lengthFits(index, plaintext.length)) {
      throw new FormatError(`chunk ${index} has the wrong plaintext length`);
    }
    return seal(this.#key, this.#ad(index), plaintext);
  }

  /** Throws IntegrityError for a chunk of impossible length, a wrong id, or any failed AEAD check. */
  open(index: number, chunk: Uint8Array): Uint8Array<ArrayBuffer> {
    this.#check(index, chunk);
    return open(this.#key, this.#ad(index), chunk);
  }

  /**
   * `open` without a new buffer: the plaintext is written over the chunk's ciphertext and returned
   * as that part of `chunk`, whose sealed bytes are then gone (unless the check fails: then
   * nothing is written). For a receiver that keeps only the plaintext.
   */
  openInPlace(index: number, chunk: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
    this.#check(index, chunk);
    const plaintext = plaintextPart(chunk);
    openInto(this.#key, this.#ad(index), chunk, plaintext);
    return plaintext;
  }

  #check(index: number, chunk: Uint8Array): void {
    assertInteger(index, 0, this.count - 1, 'chunk index');
    if (!this.#lengthFits(index, chunk.length - CHUNK_OVERHEAD)) throw new IntegrityError();
    if (this.#expectedIds !== undefined && chunkId(chunk) !== this.#expectedIds[index]) {
      throw new IntegrityError();
    }
  }
}
