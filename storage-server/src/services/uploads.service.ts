import {
  base64UrlLength,
  cipherChunkSize,
  maxSealedManifestSize,
  plainSizeFromCipher,
} from '@coffre/core/format';
import {
  type ChunkReceipt,
  type CommitUploadRequest,
  type CreateUploadRequest,
  type CreateUploadResponse,
  type Node,
  type UploadStatus,
} from '@coffre/core/protocol';
import { ApiError, badRequest, conflict, notFound } from '../api-error';
import type { Db } from '../db/database';
import type { Repositories } from '../repositories';
import type { UploadRow } from '../repositories/uploads.repository';
import { BlobTooLargeError, type BlobStore } from '../stores/blob-store';
import { randomId } from './hashing';
import { nodeOf, type Nodes } from './nodes.service';
import type { Quotas } from './quotas.service';

export interface ChunkUpload {
  index: number;
  /** The client's SHA-256 of the body, base64url. */
  sha256: string;
  /** The request's Content-Length, if it sent one. */
  contentLength: number | undefined;
  body: AsyncIterable<Uint8Array>;
}

export interface ChunkResult {
  /** false when the same chunk was already stored and nothing was written. */
  created: boolean;
  receipt: ChunkReceipt;
}

const tooLarge = (limit: number) =>
  new ApiError('payload_too_large', `chunk must be ${limit} bytes`);

/** Lists at most this many missing indices in an incomplete-upload message. */
const MISSING_SHOWN = 20;

/**
 * Upload sessions: create (reserves storage) → chunks in any order → commit (the file appears in
 * one transaction) or cancel/expiry (chunks and reservation released).
 */
export class Uploads {
  constructor(
    private readonly db: Db,
    private readonly repositories: Pick<Repositories, 'accounts' | 'uploads' | 'chunks' | 'nodes'>,
    private readonly blobs: BlobStore,
    private readonly nodes: Nodes,
    private readonly quotas: Quotas,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  async create(ownerId: string, request: CreateUploadRequest): Promise<CreateUploadResponse> {
    try {
      // The ciphertext total must be one the chunk arithmetic of format.md §5 produces.
      plainSizeFromCipher(request.size, request.chunkCount);
    } catch {
      throw badRequest('size does not match chunkCount');
    }
    const now = this.now();
    const upload = {
      id: randomId(),
      owner_id: ownerId,
      node_id: request.nodeId,
      parent_id: request.parentId,
      wrapped_key: request.wrappedKey,
      enc_meta: request.encMeta,
      revision: request.revision,
      wrapped_content_key: request.wrappedContentKey,
      size: request.size,
      chunk_count: request.chunkCount,
      created_at: now,
      expires_at: now + this.ttlMs,
    };
    await this.db.transaction().execute(async (trx) => {
      await this.nodes.requireLiveFolder(ownerId, request.parentId, trx);
      if (!(await this.nodes.isFree(request.nodeId, trx))) throw conflict('id already in use');
      await this.quotas.reserveStorage(trx, ownerId, request.size);
      await this.repositories.uploads.insert(upload, trx);
    });
    return { uploadId: upload.id, expiresAt: upload.expires_at };
  }

  async status(ownerId: string, id: string): Promise<UploadStatus> {
    const upload = await this.get(ownerId, id);
    const received = await this.repositories.chunks.indices(id);
    return {
      uploadId: upload.id,
      nodeId: upload.node_id,
      chunkCount: upload.chunk_count,
      size: upload.size,
      received,
      expiresAt: upload.expires_at,
    };
  }

  /**
   * Stores one chunk: streamed to a temp file, size-capped and hashed on the way, checked against
   * the client's hash, then moved into place. The same chunk again is acknowledged unread.
   */
  async putChunk(ownerId: string, id: string, chunk: ChunkUpload): Promise<ChunkResult> {
    const upload = await this.get(ownerId, id);
    if (chunk.index >= upload.chunk_count) throw badRequest('chunk index out of range');
    const expected = expectedChunkSize(upload, chunk.index);
    const receipt = { index: chunk.index, id: chunk.sha256, size: expected };

    const existing = await this.repositories.chunks.find(id, chunk.index);
    if (existing?.chunk_id === chunk.sha256) return { created: false, receipt };

    if (chunk.contentLength !== undefined && chunk.contentLength > expected) {
      throw tooLarge(expected);
    }
    const received = await this.blobs.receive(chunk.body, expected).catch((error: unknown) => {
      throw error instanceof BlobTooLargeError ? tooLarge(expected) : error;
    });
    if (received.size !== expected) {
      await this.blobs.discard(received);
      throw badRequest(`chunk must be ${expected} bytes`);
    }
    if (received.sha256 !== chunk.sha256) {
      await this.blobs.discard(received);
      throw new ApiError('integrity', 'chunk does not match its hash');
    }
    const key = { contentId: id, index: chunk.index, chunkId: received.sha256 };
    await this.blobs.place(received, key);

    const replaced = await this.db.transaction().execute(async (trx) => {
      // Touching the upload's row locks it until this transaction ends (PostgreSQL; SQLite runs
      // one writer at a time anyway): a commit or cancel on another node waits for this chunk,
      // or this chunk finds the upload gone — it can never change a file already committed.
      if (!(await this.repositories.uploads.lock(id, trx))) return undefined;
      const row = {
        content_id: id,
        idx: chunk.index,
        chunk_id: received.sha256,
        size: received.size,
      };
      return { previous: await this.repositories.chunks.put(row, trx) };
    });
    if (!replaced) {
      // Cancelled, expired or committed while the body streamed in: nothing may stay behind.
      await this.blobs.remove(key);
      throw notFound('no such upload');
    }
    if (replaced.previous !== null && replaced.previous !== received.sha256) {
      await this.blobs.remove({ contentId: id, index: chunk.index, chunkId: replaced.previous });
    }
    return { created: true, receipt };
  }

  /** Makes the file visible: all chunks present and as listed, in one transaction. */
  async commit(ownerId: string, id: string, request: CommitUploadRequest): Promise<Node> {
    const upload = await this.get(ownerId, id);
    if (request.chunks.length !== upload.chunk_count) {
      throw badRequest(`expected ${upload.chunk_count} chunk ids`);
    }
    if (request.manifest.length > base64UrlLength(maxSealedManifestSize(upload.chunk_count))) {
      throw badRequest('manifest too large for this chunk count');
    }
    return this.db.transaction().execute(async (trx) => {
      // Claimed first: a second commit or a cancel running at the same time on another node
      // waits on the row and then finds it gone. Any refusal below rolls the claim back.
      const live = await this.repositories.uploads.takeLive(ownerId, id, this.now(), trx);
      if (!live) throw notFound('no such upload');
      const rows = await this.repositories.chunks.list(id, trx);
      const byIndex = new Map(rows.map((r) => [r.idx, r]));
      const missing: number[] = [];
      for (let i = 0; i < live.chunk_count; i++) if (!byIndex.has(i)) missing.push(i);
      if (missing.length > 0) {
        const shown = missing.slice(0, MISSING_SHOWN).join(', ');
        const more =
          missing.length > MISSING_SHOWN ? ` and ${missing.length - MISSING_SHOWN} more` : '';
        throw new ApiError('incomplete_upload', `missing chunks: ${shown}${more}`);
      }
      const mismatch = request.chunks.findIndex(
        (chunkId, i) => byIndex.get(i)?.chunk_id !== chunkId,
      );
      if (mismatch !== -1) throw conflict(`chunk ${mismatch} differs from the one stored`);
      const stored = rows.reduce((sum, r) => sum + r.size, 0);
      if (stored > live.size) throw conflict('chunks exceed the reserved size');

      const file = {
        id: live.node_id,
        owner_id: ownerId,
        parent_id: live.parent_id,
        type: 'file' as const,
        wrapped_key: live.wrapped_key,
        enc_meta: live.enc_meta,
        created_at: this.now(),
        revision: live.revision,
        wrapped_content_key: live.wrapped_content_key,
        manifest: request.manifest,
        size: stored,
        chunk_count: live.chunk_count,
        content_id: live.id,
      };
      await this.repositories.nodes.insert(file, trx);
      await this.releaseStorage(trx, ownerId, live.size - stored);
      return nodeOf(await this.nodes.get(ownerId, live.node_id, trx));
    });
  }

  async cancel(ownerId: string, id: string): Promise<void> {
    await this.get(ownerId, id);
    await this.drop(id);
  }

  /** Removes every upload past its expiry; returns how many. */
  async sweepExpired(): Promise<number> {
    const expired = await this.repositories.uploads.expiredIds(this.now());
    for (const id of expired) await this.drop(id);
    return expired.length;
  }

  /** Deletes chunk directories no upload or file refers to (left by a crash mid-cleanup). */
  async removeOrphanBlobs(): Promise<number> {
    let removed = 0;
    for (const contentId of await this.blobs.listContentIds()) {
      const [upload, node] = await Promise.all([
        this.repositories.uploads.exists(contentId),
        this.repositories.nodes.holdsContent(contentId),
      ]);
      if (!upload && !node) {
        await this.blobs.removeContent(contentId);
        removed++;
      }
    }
    return removed;
  }

  /** Rows first, in one transaction with the released reservation; then the files. */
  private async drop(id: string): Promise<void> {
    const dropped = await this.db.transaction().execute(async (trx) => {
      // Deleting is the claim: of two drops (a cancel and a sweep on different nodes), only the
      // one that deleted the row releases the reservation.
      const upload = await this.repositories.uploads.delete(id, trx);
      if (!upload) return false;
      await this.repositories.chunks.deleteContents([id], trx);
      await this.releaseStorage(trx, upload.owner_id, upload.size);
      return true;
    });
    if (dropped) await this.blobs.removeContent(id);
  }

  private async releaseStorage(db: Db, ownerId: string, bytes: number): Promise<void> {
    if (bytes !== 0) await this.repositories.accounts.releaseStorage(ownerId, bytes, db);
  }

  /** An open, unexpired upload of this owner, or 404. */
  private async get(ownerId: string, id: string): Promise<UploadRow> {
    const row = await this.repositories.uploads.findLive(ownerId, id, this.now());
    if (!row) throw notFound('no such upload');
    return row;
  }
}

/** Every chunk's ciphertext size follows from the file's total and count (format.md §5). */
function expectedChunkSize(upload: UploadRow, index: number): number {
  return cipherChunkSize(plainSizeFromCipher(upload.size, upload.chunk_count), index);
}
