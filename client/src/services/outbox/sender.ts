// Sends one stored outbox item to the server: opens (or reopens) its upload session, takes the
// server's `received` list as the truth, PUTs the missing chunks from IndexedDB (recording each
// acknowledgement before the next), then commits the stored manifest. Nothing here needs a key.
import { plainChunkSize } from '@coffre/core/format';
import {
  CHUNK_SHA256_HEADER,
  CreateUploadResponse,
  NodeResponse,
  ROUTES,
  UploadStatus,
  apiPath,
} from '@coffre/core/protocol';
import type { Api } from '../platform/http-client';
import { ApiError, NetworkError } from '../platform/errors';
import { CHUNKS_IN_FLIGHT, type OutboxItem } from './item';
import { chunkBlob, markAcked, patchRecord } from './store';
import type { OutboxTabs } from './tabs';
import { isRetryable, runBounded, withRetry } from '../platform/retry';
import type { TransferList } from '../transfers/transfer-list';

const CHUNKS_LOST =
  'Its encrypted copy on this device is gone (the browser cleared site data). Add the file again.';

/** Thrown when a stored chunk is missing: nothing on this device can send the item any more. */
class ChunksLostError extends Error {
  override readonly name = 'ChunksLostError';
  constructor() {
    super(CHUNKS_LOST);
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

/** Lets go of a server session no item will use (it holds its reservation until it expires). */
export function abandonSession(api: Api, uploadId: string | null): void {
  if (uploadId) api.empty('DELETE', apiPath.upload(uploadId)).catch(() => undefined);
}

export class OutboxSender {
  constructor(
    private readonly api: Api,
    private readonly transfers: TransferList,
    private readonly tabs: OutboxTabs,
    private readonly show: (item: OutboxItem) => void,
  ) {}

  /** Resolves once the item is committed; rejects with what stopped it (see classifySendFailure). */
  async send(item: OutboxItem, signal: AbortSignal): Promise<void> {
    const { record } = item;
    const { id } = record;
    let uploadId = record.uploadId;
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
      // A new session holds nothing: every chunk goes again, once, to it.
      await markAcked(id, [...item.acked], false);
      item.acked.clear();
      record.uploadId = uploadId;
      await patchRecord(id, { uploadId });
    }
    await reconcile(item, received);
    this.show(item);

    const count = record.createBody.chunkCount;
    const pending: number[] = [];
    for (let index = 0; index < count; index++) if (!item.acked.has(index)) pending.push(index);
    const target = uploadId;
    await runBounded(pending.length, CHUNKS_IN_FLIGHT, async (k) => {
      const index = pending[k]!;
      await item.sealing?.whenSealed(index, signal);
      signal.throwIfAborted();
      const blob = await chunkBlob(id, index);
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
      await markAcked(id, [index]);
      item.acked.add(index);
      this.tabs.tell(id, 'progress');
      item.status = { ...item.status, attempts: 0 };
      this.transfers.progress(id, plainChunkSize(record.size, index));
    });
    await item.sealing?.whenFinished(signal);
    const { manifest, chunkIds } = record;
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

  /** POST /uploads with the stored body; null when the node already exists (committed). */
  private async openSession(item: OutboxItem, signal: AbortSignal): Promise<string | null> {
    try {
      const { uploadId } = await withRetry(
        () =>
          this.api.json('POST', ROUTES.uploads, CreateUploadResponse, {
            body: item.record.createBody,
            signal,
          }),
        signal,
      );
      return uploadId;
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

/** Takes the server's word for the chunks it holds (it hashed each on arrival). */
async function reconcile(item: OutboxItem, received: number[]): Promise<void> {
  const held = new Set(received);
  const gained = received.filter((index) => !item.acked.has(index));
  // Chunks the server no longer has (it lost them) must go again.
  const lost = [...item.acked].filter((index) => !held.has(index));
  await markAcked(item.record.id, gained);
  await markAcked(item.record.id, lost, false);
  for (const index of gained) item.acked.add(index);
  for (const index of lost) item.acked.delete(index);
}
