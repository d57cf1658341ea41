// "Send to a device": the offer and the sealed chunks of a file, exactly as the storage server
// holds them (format.md §13.6). A drive file's chunks are read from this device's seed store when
// it uploaded the file (ADR 0007), else from the server; a file still in the upload queue is read
// from the outbox (format.md §12), or from the server once its upload committed meanwhile (the
// outbox then no longer has it, the server has the same bytes).
import { CHUNK_SIZE, cipherChunkSize, chunkCount, toBase64Url } from '@coffre/core/format';
import type { OpenSession } from '../../account/account-service';
import type { DirectStep, LinkOptions, SendSource, SharedLink } from '../../contract';
import { coreCrypto } from '../../platform/crypto-main';
import type { DriveService } from '../../drive/drive-service';
import { IntegrityFailedError, InvalidRequestError } from '../../platform/errors';
import type { FileSource } from '../../downloads/file-source';
import type { OutboxRecord } from '../../platform/local-db';
import { storedReason } from '../../outbox/repository';
import { chunkBlob, outboxRecord } from '../../outbox/store';
import { withRetry } from '../../platform/retry';
import { seedChunk, seedFile } from '../../platform/seed-store';
import type { TransferList } from '../../transfers/transfer-list';
import type { UploadService } from '../../outbox/queue';
import { openRevision } from '../../downloads/verified-file';
import type { OfferedFile } from './paired-transfer';
import { signalServerUrl } from '../wire/signal-config';

interface Sendable {
  file: OfferedFile;
  readChunk: (index: number) => Promise<Uint8Array>;
}

export class DirectSender {
  /** Node ids of queued files this page offered, by transfer id, for a link after they commit. */
  private readonly sentNodes = new Map<string, string>();

  constructor(
    private readonly drive: DriveService,
    private readonly ownFiles: FileSource,
    /** Links sit above direct sends: the façade hands in how to make one. */
    private readonly createLink: (nodeId: string, options: LinkOptions) => Promise<SharedLink>,
    private readonly uploads: UploadService,
    private readonly transfers: TransferList,
    private readonly session: () => OpenSession,
  ) {}

  async send(
    source: SendSource,
    code: string,
    events: { onStep(step: DirectStep): void; onProgress(bytes: number): void },
    signal: AbortSignal,
  ): Promise<void> {
    const signalUrl = await signalServerUrl();
    if (signalUrl === null)
      throw new InvalidRequestError({ key: 'direct-unavailable', role: 'sender' });
    const { file, readChunk } =
      source.kind === 'file'
        ? await this.driveFile(source.nodeId, signal)
        : await this.queuedFile(source.transferId, signal);
    // The WebRTC and relay code loads only when a transfer starts.
    const [{ sendToDevice }, { directError }] = await Promise.all([
      import('./paired-transfer'),
      import('./failures'),
    ]);
    await sendToDevice({
      signalUrl,
      code,
      file,
      readChunk,
      signal,
      onStep: events.onStep,
      onProgress: (acknowledged) =>
        events.onProgress(Math.min(file.size, acknowledged * CHUNK_SIZE)),
    }).catch((error: unknown) => {
      throw signal.aborted ? error : directError(error, 'sender');
    });
  }

  /** A link with no password, expiry or limit; a queued file is uploaded first. */
  async linkInstead(source: SendSource, onWaiting: (bytes: number) => void): Promise<SharedLink> {
    const options = { password: null, expiresAt: null, downloadLimit: null };
    if (source.kind === 'file') return this.createLink(source.nodeId, options);
    const record = await outboxRecord(source.transferId);
    if (record) {
      this.uploads.resume(source.transferId);
      await this.uploaded(source.transferId, onWaiting);
    }
    // Without a record the upload already committed: the file keeps the node id it was sent as.
    const nodeId = record?.nodeId ?? this.sentNodes.get(source.transferId);
    if (!nodeId) throw new InvalidRequestError({ key: 'not-queued' });
    return this.createLink(nodeId, options);
  }

  private uploaded(transferId: string, onWaiting: (bytes: number) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      let stop: (() => void) | null = null;
      let settled = false;
      const settle = (error: Error | null) => {
        if (settled) return;
        settled = true;
        queueMicrotask(() => stop?.());
        if (error) reject(error);
        else resolve();
      };
      stop = this.transfers.follow(transferId, (upload) => {
        if (!upload) return settle(null); // committed and cleared from the list
        onWaiting(upload.done);
        if (upload.state === 'done') settle(null);
        else if (upload.state === 'failed')
          settle(new InvalidRequestError({ key: 'upload-failed', detail: upload.error }));
        else if (upload.state === 'cancelled')
          settle(new InvalidRequestError({ key: 'upload-cancelled' }));
      });
      if (settled) queueMicrotask(() => stop?.());
    });
  }

  /** The committed revision, verified as a download would verify it, and its stored chunks. */
  private async driveFile(nodeId: string, signal: AbortSignal): Promise<Sendable> {
    const { meta, info, contentKey, manifest } = await openRevision(this.ownFiles, nodeId, signal);
    const seed = await seedFile(nodeId);
    const seeded =
      seed?.owner === this.session().userId &&
      seed.revision === info.revision &&
      seed.count === manifest.count;
    return {
      file: {
        nodeId,
        revision: info.revision,
        name: meta.name,
        mime: meta.mime,
        size: manifest.size,
        manifest: info.manifest,
        contentKey: toBase64Url(contentKey),
        count: manifest.count,
      },
      readChunk: async (index) =>
        (seeded && (await this.seededChunk(nodeId, manifest.size, index))) ||
        this.serverChunk(nodeId, manifest.size, index, signal),
    };
  }

  /**
   * The sealed chunk this device uploaded, kept in its seed store: sending it costs no transfer.
   * Null once evicted (the store is bounded); the server has the same bytes.
   */
  private async seededChunk(nodeId: string, size: number, index: number) {
    const blob = await seedChunk(nodeId, index);
    if (blob?.size !== cipherChunkSize(size, index)) return null;
    return new Uint8Array(await blob.arrayBuffer());
  }

  private async serverChunk(nodeId: string, size: number, index: number, signal: AbortSignal) {
    const expected = cipherChunkSize(size, index);
    const bytes = await withRetry(
      () => this.ownFiles.chunk(nodeId, index, expected, signal),
      signal,
    );
    return new Uint8Array(bytes);
  }

  /**
   * A queued file once sealed: the content key is unwrapped again from the create-upload body
   * (the node key under its folder's key), since the outbox keeps no key (format.md §12).
   */
  private async queuedFile(transferId: string, signal: AbortSignal): Promise<Sendable> {
    const record = await sealedRecord(transferId, signal);
    this.sentNodes.set(transferId, record.nodeId);
    const core = await coreCrypto();
    const body = record.createBody;
    const folder = await this.drive.resolve(body.parentId);
    const { key, meta } = core.openNode(body.parentId, folder.key, {
      id: body.nodeId,
      type: 'file',
      wrappedKey: body.wrappedKey,
      encMeta: body.encMeta,
    });
    const contentKey = core.openContentKey(body.nodeId, key, body.revision, body.wrappedContentKey);
    const manifest = core.openManifest(record.manifest!, contentKey, {
      nodeId: body.nodeId,
      revision: body.revision,
      signer: this.session().keys.signPublicKey,
    });
    if (manifest.size !== record.size || manifest.count !== chunkCount(record.size))
      throw new IntegrityFailedError();
    return {
      file: {
        nodeId: body.nodeId,
        revision: body.revision,
        name: meta.name,
        mime: meta.mime,
        size: manifest.size,
        manifest: record.manifest!,
        contentKey: toBase64Url(contentKey),
        count: manifest.count,
      },
      readChunk: async (index) => {
        const blob = await chunkBlob(transferId, index);
        if (blob) return new Uint8Array(await blob.arrayBuffer());
        return this.serverChunk(body.nodeId, manifest.size, index, signal);
      },
    };
  }
}

/** How often a file still being sealed is looked at again. */
const SEALED_POLL_MS = 500;

/**
 * The outbox record once every chunk is sealed and the manifest stored: chunks may be uploading
 * while later ones are still sealed, and the offer needs the manifest.
 */
async function sealedRecord(transferId: string, signal: AbortSignal): Promise<OutboxRecord> {
  for (;;) {
    signal.throwIfAborted();
    const record = await outboxRecord(transferId);
    if (!record) throw new InvalidRequestError({ key: 'not-queued' });
    if (record.manifest !== null) return record;
    if (record.phase === 'failed')
      throw new InvalidRequestError({ key: 'not-sealed', detail: storedReason(record.reason) });
    await new Promise((resolve) => setTimeout(resolve, SEALED_POLL_MS));
  }
}
