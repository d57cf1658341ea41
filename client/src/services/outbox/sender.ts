// Sends one stored outbox item to the server, and is the only code that opens its upload
// sessions: at add time (so an upload over quota is refused before anything is encrypted) and
// again when the drain finds none or an expired one. It takes the server's `received` list as
// the truth, PUTs the missing chunks from IndexedDB (each acknowledgement recorded before the
// next), then commits the stored manifest. Nothing here needs a key.
import {
  CHUNK_SHA256_HEADER,
  CreateUploadResponse,
  NodeResponse,
  ROUTES,
  UploadStatus,
  apiPath,
} from '@coffre/core/protocol';
import type { Api } from '../platform/http-client';
import { ApiError, InvalidRequestError, NetworkError } from '../platform/errors';
import { isRetryable, runBounded, withRetry } from '../platform/retry';
import { CHUNKS_IN_FLIGHT, type OutboxItem } from './item';
import type { OutboxRepository } from './repository';
import type { SealWatch } from './seal-watch';
import type { OutboxTabs } from './tabs';

/** Thrown when a stored chunk is missing: nothing on this device can send the item any more. */
class ChunksLostError extends InvalidRequestError {
  constructor() {
    super({ key: 'chunks-lost' });
  }
}

/** The server's upload session lost chunks or expired during the send: ask it again, soon. */
class ResendError extends Error {
  override readonly name = 'ResendError';
}

/**
 * How a failed send goes on: 'transient' tries again after a pause, 'retryable' fails until the
 * user retries it, 'lost' can never be sent from this device.
 */
export type SendFailure = 'transient' | 'retryable' | 'lost';

export function classifySendFailure(error: unknown): SendFailure {
  if (error instanceof NetworkError || error instanceof ResendError || isRetryable(error))
    return 'transient';
  return error instanceof ChunksLostError ? 'lost' : 'retryable';
}

export class OutboxSender {
  constructor(
    private readonly api: Api,
    private readonly repository: OutboxRepository,
    private readonly tabs: OutboxTabs,
  ) {}

  /**
   * Opens the session of an item just added, so the server reserves its size now and refuses
   * one over quota with its figures. Unreachable or busy, the drain opens it later.
   */
  async reserve(item: OutboxItem, signal: AbortSignal): Promise<void> {
    try {
      await this.repository.opened(item, await this.create(item, signal));
    } catch (error) {
      if (error instanceof NetworkError || isRetryable(error)) return;
      throw error;
    }
  }

  /** Lets go of a server session no item will use (it holds its reservation until it expires). */
  abandon(uploadId: string | null): void {
    if (uploadId) this.api.empty('DELETE', apiPath.upload(uploadId)).catch(() => undefined);
  }

  /**
   * Resolves once the item is committed; rejects with what stopped it (see classifySendFailure).
   * `sealing` is set while this page still seals the item: chunks go out as they are stored.
   */
  async send(item: OutboxItem, signal: AbortSignal, sealing: SealWatch | null): Promise<void> {
    const { id } = item.record;
    let uploadId = item.record.uploadId;
    let received: number[] = [];
    if (uploadId) {
      try {
        const status = await withRetry(
          () => this.api.json('GET', apiPath.upload(uploadId!), UploadStatus, { signal }),
          signal,
        );
        received = status.received;
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) throw error;
        uploadId = null; // expired (or committed: openSession tells)
      }
    }
    if (!uploadId) {
      const opened = await this.openSession(item, signal);
      if (opened === null) return; // committed by an earlier run whose answer was lost
      uploadId = opened;
      received = [];
      await this.repository.opened(item, uploadId);
    }
    await this.repository.reconcile(item, received);

    const count = item.record.createBody.chunkCount;
    const pending: number[] = [];
    for (let index = 0; index < count; index++) if (!item.acked.has(index)) pending.push(index);
    const target = uploadId;
    await runBounded(pending.length, CHUNKS_IN_FLIGHT, async (k) => {
      const index = pending[k]!;
      await sealing?.whenSealed(index, signal);
      signal.throwIfAborted();
      const blob = await this.repository.chunk(item, index);
      const chunkId = item.ids[index];
      if (!blob || !chunkId) throw new ChunksLostError();
      await withRetry(
        () =>
          this.api.upload(
            apiPath.uploadChunk(target, index),
            blob,
            { [CHUNK_SHA256_HEADER]: chunkId },
            signal,
          ),
        signal,
      );
      // Recorded before the next chunk: a chunk the server acknowledged is never sent again.
      await this.repository.acked(item, index);
      this.tabs.tell(id, 'progress');
    });
    await sealing?.whenFinished(signal);
    const { manifest, chunkIds } = item.record;
    if (!manifest || !chunkIds) throw new ChunksLostError();
    try {
      await withRetry(
        () =>
          this.api.json('POST', apiPath.uploadCommit(target), NodeResponse, {
            body: { manifest, chunks: chunkIds },
            signal,
          }),
        signal,
      );
    } catch (error) {
      if (error instanceof ApiError && (error.code === 'incomplete_upload' || error.status === 404))
        throw new ResendError(error.message);
      throw error;
    }
  }

  /** POST /uploads with the stored body, which reserves the ciphertext size. */
  private async create(item: OutboxItem, signal: AbortSignal): Promise<string> {
    const { uploadId } = await this.api.json('POST', ROUTES.uploads, CreateUploadResponse, {
      body: item.record.createBody,
      signal,
    });
    return uploadId;
  }

  /** Opens a session for the drain; null when the node already exists (committed). */
  private async openSession(item: OutboxItem, signal: AbortSignal): Promise<string | null> {
    try {
      return await withRetry(() => this.create(item, signal), signal);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409 && (await this.isCommitted(item)))
        return null;
      throw error;
    }
  }

  private async isCommitted(item: OutboxItem): Promise<boolean> {
    try {
      const { node } = await this.api.json('GET', apiPath.node(item.record.nodeId), NodeResponse);
      return node.type === 'file';
    } catch {
      return false;
    }
  }
}
