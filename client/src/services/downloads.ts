// Downloads stream to disk so memory stays flat whatever the size. Everything the server sends is
// verified before the browser is asked to save anything: the node key (unwrapped from its parent),
// the content key, the signed manifest (signer = this account), the chunk listing against the
// manifest, and the first chunk. Each later chunk is checked (length, SHA-256 id, AEAD) as it
// streams; on any failure the stream is errored, never closed, so the browser marks the download
// failed and keeps no file.
//
// Preferred path: the service worker answers a hidden iframe's request for DOWNLOAD_PATH/<id>
// with a stream that pulls chunks from this page (sw.ts). Fallback when no service worker controls
// the page: the File System Access save picker. Never a big Blob in memory.
import { cipherChunkSize } from '../../../core/format';
import { FileManifestResponse, apiPath } from '../../../core/protocol';
import type { OpenSession } from './account';
import type { Api } from './api';
import type { CryptoPool } from './crypto-pool';
import { coreCrypto } from './crypto-main';
import type { DriveService } from './drive';
import { describeError, integrityError, InvalidRequestError } from './errors';
import { withRetry } from './retry';
import {
  CLAIM,
  DOWNLOAD_PATH,
  KEEPALIVE,
  type DownloadRegistration,
  type PageToWorker,
  type WorkerToPage,
} from './sw-messages';
import type { Transfers } from './transfers';

const CONTROLLER_WAIT_MS = 10_000;
const REGISTER_TIMEOUT_MS = 5000;
const START_TIMEOUT_MS = 20_000;
const KEEPALIVE_MS = 15_000;

/** A file whose keys, manifest and chunk listing were verified; chunks are checked as read. */
class VerifiedFile {
  constructor(
    private readonly api: Api,
    private readonly pool: CryptoPool,
    readonly nodeId: string,
    readonly name: string,
    readonly size: number,
    readonly revision: number,
    private readonly contentKey: Uint8Array,
    private readonly chunkIds: string[],
  ) {}

  get count(): number {
    return this.chunkIds.length;
  }

  async chunk(index: number, signal: AbortSignal): Promise<ArrayBuffer> {
    const expected = cipherChunkSize(this.size, index);
    const path = apiPath.fileChunk(this.nodeId, index);
    const bytes = await withRetry(() => this.api.bytes(path, expected, signal), signal);
    if (bytes.byteLength !== expected) throw integrityError();
    const { plaintext } = await this.pool.run(
      'openChunk',
      {
        contentKey: this.contentKey,
        nodeId: this.nodeId,
        revision: this.revision,
        count: this.count,
        index,
        chunk: bytes,
        expectedId: this.chunkIds[index]!,
      },
      [bytes],
    );
    return plaintext;
  }
}

/** Chunks fetched and decrypted ahead of the one being written: keeps two workers busy. */
const READ_AHEAD = 2;

/** Reads chunks in order, preparing the next few while the current one is being written. */
class ChunkReader {
  private next = 0;
  private readonly ahead: Promise<ArrayBuffer>[] = [];

  constructor(
    private readonly file: VerifiedFile,
    private readonly signal: AbortSignal,
  ) {}

  /** The next chunk's plaintext, or null at the end. */
  read(): Promise<ArrayBuffer | null> {
    while (this.next < this.file.count && this.ahead.length <= READ_AHEAD) {
      const chunk = this.file.chunk(this.next++, this.signal);
      // A failure is reported when that chunk is read; don't let it go unhandled before.
      chunk.catch(() => undefined);
      this.ahead.push(chunk);
    }
    return this.ahead.shift() ?? Promise.resolve(null);
  }
}

interface SaveFilePicker {
  showSaveFilePicker(options: { suggestedName: string }): Promise<FileSystemFileHandle>;
}

export class DownloadService {
  constructor(
    private readonly api: Api,
    private readonly pool: CryptoPool,
    private readonly drive: DriveService,
    private readonly transfers: Transfers,
    private readonly session: () => OpenSession,
  ) {}

  download(nodeId: string): void {
    const cached = this.drive.cached(nodeId);
    const name = cached?.meta?.name ?? 'file';
    const { id, signal } = this.transfers.add('download', name, cached?.meta?.size ?? 0, null);
    void this.run(nodeId, id, signal, savePickerIfNoWorker(name));
  }

  private async run(
    nodeId: string,
    transferId: string,
    signal: AbortSignal,
    picked: Promise<FileSystemWritableFileStream | null>,
  ): Promise<void> {
    this.transfers.start(transferId);
    let writable: FileSystemWritableFileStream | null = null;
    try {
      writable = await picked.catch((error: unknown) => {
        // Closing the save dialog is a cancel, not a failure.
        if (error instanceof Error && error.name === 'AbortError')
          this.transfers.cancel(transferId);
        throw error;
      });
      const file = await this.verify(nodeId, signal);
      this.transfers.identify(transferId, file.name, file.size);
      const reader = new ChunkReader(file, signal);
      const first = await reader.read();
      const controller = writable ? null : await serviceWorkerController();
      if (writable) {
        await this.writeTo(writable, reader, first, transferId, signal);
        await writable.close();
      } else if (controller) {
        await this.streamThroughWorker(controller, file, reader, first, transferId, signal);
      } else {
        throw new InvalidRequestError(
          'Downloads need the app to be fully loaded. Reload the page and try again.',
        );
      }
      this.transfers.finish(transferId, 'done');
    } catch (error) {
      await writable?.abort().catch(() => undefined);
      if (!signal.aborted) {
        console.warn('download failed', error);
        this.transfers.finish(transferId, 'failed', describeError(error));
      }
    }
  }

  /** Verifies everything the server says about the file before any byte is saved. */
  private async verify(nodeId: string, signal: AbortSignal): Promise<VerifiedFile> {
    const node = await this.drive.resolve(nodeId);
    if (node.type !== 'file' || node.meta === null)
      throw new InvalidRequestError('That item is not a file.');
    const info = await this.api.json('GET', apiPath.file(nodeId), FileManifestResponse, { signal });
    if (info.nodeId !== nodeId) throw integrityError();
    const core = await coreCrypto();
    const contentKey = core.openContentKey(nodeId, node.key, info.revision, info.wrappedContentKey);
    const manifest = core.openManifest(info.manifest, contentKey, {
      nodeId,
      revision: info.revision,
      signer: this.session().keys.signPublicKey,
    });
    const listingMatches =
      info.chunks.length === manifest.count &&
      manifest.chunks.length === manifest.count &&
      info.chunks.every(
        (c, i) =>
          c.index === i &&
          c.id === manifest.chunks[i] &&
          c.size === cipherChunkSize(manifest.size, i),
      );
    if (!listingMatches) throw integrityError();
    if (node.meta.size !== null && node.meta.size !== manifest.size) throw integrityError();
    return new VerifiedFile(
      this.api,
      this.pool,
      nodeId,
      node.meta.name,
      manifest.size,
      info.revision,
      contentKey,
      manifest.chunks,
    );
  }

  private streamThroughWorker(
    controller: ServiceWorker,
    file: VerifiedFile,
    reader: ChunkReader,
    first: ArrayBuffer | null,
    transferId: string,
    signal: AbortSignal,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const id = crypto.randomUUID();
      const channel = new MessageChannel();
      const port = channel.port1;
      let pending: ArrayBuffer | null = first;
      let iframe: HTMLIFrameElement | null = null;
      let timer = setTimeout(
        () => fail(new Error('The browser did not accept the download. Reload and try again.')),
        REGISTER_TIMEOUT_MS,
      );
      const keepalive = setInterval(() => controller.postMessage(KEEPALIVE), KEEPALIVE_MS);

      const send = (message: PageToWorker, transfer: Transferable[] = []): void =>
        port.postMessage(message, transfer);
      const cleanup = (): void => {
        clearTimeout(timer);
        clearInterval(keepalive);
        signal.removeEventListener('abort', onAbort);
        port.onmessage = null;
        // Give the browser time to hand the finished response to its download manager.
        const frame = iframe;
        setTimeout(() => frame?.remove(), 10_000);
      };
      function fail(error: unknown): void {
        send({ type: 'error', message: describeError(error) });
        cleanup();
        port.close();
        reject(error);
      }
      function onAbort(): void {
        fail(signal.reason);
      }
      signal.addEventListener('abort', onAbort, { once: true });

      const pull = async (): Promise<void> => {
        try {
          const bytes = pending ?? (await reader.read());
          pending = null;
          if (bytes === null) {
            send({ type: 'end' });
            cleanup();
            resolve();
            return;
          }
          this.transfers.progress(transferId, bytes.byteLength);
          send({ type: 'chunk', bytes }, [bytes]);
        } catch (error) {
          fail(error);
        }
      };

      port.onmessage = (event: MessageEvent<WorkerToPage>) => {
        switch (event.data.type) {
          case 'registered':
            clearTimeout(timer);
            timer = setTimeout(
              () => fail(new Error('The browser did not start the download.')),
              START_TIMEOUT_MS,
            );
            iframe = document.createElement('iframe');
            iframe.hidden = true;
            iframe.src = DOWNLOAD_PATH + id;
            document.body.append(iframe);
            break;
          case 'started':
            clearTimeout(timer);
            break;
          case 'pull':
            void pull();
            break;
          case 'cancelled':
            this.transfers.cancel(transferId);
            break;
        }
      };
      const registration: DownloadRegistration = {
        type: 'coffre-download',
        id,
        filename: file.name,
        size: file.size,
        port: channel.port2,
      };
      controller.postMessage(registration, [channel.port2]);
    });
  }

  private async writeTo(
    writable: FileSystemWritableFileStream,
    reader: ChunkReader,
    first: ArrayBuffer | null,
    transferId: string,
    signal: AbortSignal,
  ): Promise<void> {
    for (let bytes = first; bytes !== null; bytes = await reader.read()) {
      signal.throwIfAborted();
      await writable.write(bytes);
      this.transfers.progress(transferId, bytes.byteLength);
    }
  }
}

/**
 * The service worker controlling this page. A page loaded before the worker activated, or with a
 * hard reload, is not controlled yet: the worker is asked to claim it and we wait a little.
 */
async function serviceWorkerController(): Promise<ServiceWorker | null> {
  const container = navigator.serviceWorker;
  if (!container) return null;
  if (container.controller) return container.controller;
  const registration = await container.getRegistration();
  if (!registration) return null;
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      container.removeEventListener('controllerchange', done);
      resolve(container.controller);
    };
    const timer = setTimeout(done, CONTROLLER_WAIT_MS);
    container.addEventListener('controllerchange', done);
    const worker = registration.active;
    if (worker) worker.postMessage(CLAIM);
    else void container.ready.then((ready) => ready.active?.postMessage(CLAIM));
  });
}

/**
 * Without any service worker (unsupported, or storage blocked), asks where to save right away,
 * while the click's user activation still holds; the file is only written after verification.
 */
async function savePickerIfNoWorker(name: string): Promise<FileSystemWritableFileStream | null> {
  const container = navigator.serviceWorker;
  if (container?.controller || (container && (await container.getRegistration()))) return null;
  if (!('showSaveFilePicker' in window)) return null;
  const picker = window as unknown as SaveFilePicker;
  const handle = await picker.showSaveFilePicker({ suggestedName: name });
  return handle.createWritable();
}
