// Downloads stream to disk so memory stays flat whatever the size, from the drive or through a
// share link (a FileSource), one file or a whole folder as a zip. Everything the server sends is
// verified before the browser is asked to save anything (verified-file.ts): keys, the signed
// manifest, the chunk listing, and the first chunk. Each later chunk is checked as it streams; on
// any failure the stream is errored, never closed, so the browser marks the download failed and
// keeps no file.
//
// Preferred path: the service worker answers a hidden iframe's request for DOWNLOAD_PATH/<id>
// with a stream that pulls chunks from this page (sw.ts). Fallback when no service worker controls
// the page: the File System Access save picker. Never a big Blob in memory.
//
// A chunk refused by the transfer quota pauses the transfer (verified-file.ts): the save stream
// stays open and simply waits, so nothing written is lost and `resume` carries on from that chunk.
import { displayName } from '@coffre/core/format';
import type { CryptoPool } from '../platform/crypto-pool';
import { asServiceFailure, BrowserError, CancelledError, failureValue } from '../platform/errors';
import type { FileSource } from './file-source';
import { openFolderZip } from './folder-zip';
import {
  CLAIM,
  DOWNLOAD_PATH,
  KEEPALIVE,
  type DownloadRegistration,
  type PageToWorker,
  type WorkerToPage,
} from '../platform/sw-messages';
import type { TransferList } from '../transfers/transfer-list';
import { ChunkReader, verifyFile, type TallyChunk, type WaitOutQuota } from './verified-file';

const CONTROLLER_WAIT_MS = 10_000;
const REGISTER_TIMEOUT_MS = 5000;
const START_TIMEOUT_MS = 20_000;
const KEEPALIVE_MS = 15_000;

/** What gets saved: verified bytes in order, opened only once everything up front checked out. */
export interface SaveStream {
  filename: string;
  /** Exact byte length when known (sent as Content-Length), else null. */
  length: number | null;
  /** Bytes the transfers panel counts towards. */
  total: number;
  /** The next bytes, or null at the end; rejects on any integrity failure. */
  read(): Promise<ArrayBuffer | null>;
}

type OpenSaveStream = (
  signal: AbortSignal,
  waitOutQuota: WaitOutQuota,
  tally: TallyChunk,
) => Promise<SaveStream>;

interface SaveFilePicker {
  showSaveFilePicker(options: { suggestedName: string }): Promise<FileSystemFileHandle>;
}

export class DownloadService {
  constructor(
    private readonly pool: CryptoPool,
    private readonly transfers: TransferList,
  ) {}

  download(source: FileSource, nodeId: string): void {
    const cached = source.cached(nodeId);
    void this.save(
      cached?.meta?.name ?? 'file',
      cached?.meta?.size ?? 0,
      async (signal, waitOutQuota, tally) => {
        const file = await verifyFile(source, this.pool, nodeId, signal);
        const reader = new ChunkReader(file, signal, waitOutQuota, tally);
        return {
          filename: file.name,
          length: file.size,
          total: file.size,
          read: () => reader.read(),
        };
      },
    );
  }

  /** Every file under the folder as one zip built while it streams. */
  downloadZip(source: FileSource, folderId: string): void {
    const cached = source.cached(folderId);
    const name = (cached?.meta?.name ?? 'files') + '.zip';
    void this.save(name, 0, (signal, waitOutQuota, tally) =>
      openFolderZip(source, this.pool, folderId, signal, waitOutQuota, tally),
    );
  }

  /**
   * Saves bytes this device already holds (a file received from another device); resolves true
   * once the browser has the whole file, false if it failed or was cancelled.
   */
  saveLocal(name: string, size: number, open: () => Promise<SaveStream>): Promise<boolean> {
    return this.save(name, size, () => open());
  }

  /** Registers a transfer, then saves what `open` yields once it has verified what it needs. */
  private save(name: string, size: number, open: OpenSaveStream): Promise<boolean> {
    const { id, signal } = this.transfers.add('download', name, size, null);
    // Asked now, while the click's user activation still holds.
    const picked = savePickerIfNoWorker(name);
    return this.run(id, signal, picked, open);
  }

  private async run(
    transferId: string,
    signal: AbortSignal,
    picked: Promise<FileSystemWritableFileStream | null>,
    open: OpenSaveStream,
  ): Promise<boolean> {
    this.transfers.start(transferId);
    let writable: FileSystemWritableFileStream | null = null;
    try {
      writable = await picked.catch((error: unknown) => {
        // Closing the save dialog is a cancel, not a failure.
        if (asServiceFailure(error) instanceof CancelledError) this.transfers.cancel(transferId);
        throw error;
      });
      const stream = await open(
        signal,
        (refusal) => this.transfers.pause(transferId, failureValue(refusal)),
        (origin, bytes) => this.transfers.tally(transferId, origin, bytes),
      );
      this.transfers.identify(transferId, stream.filename, stream.total);
      const first = await stream.read();
      const controller = writable ? null : await serviceWorkerController();
      if (writable) {
        await this.writeTo(writable, stream, first, transferId, signal);
        await writable.close();
      } else if (controller) {
        await this.streamThroughWorker(controller, stream, first, transferId, signal);
      } else {
        throw new BrowserError('downloads-need-reload');
      }
      this.transfers.finish(transferId, 'done');
      return true;
    } catch (error) {
      await writable?.abort().catch(() => undefined);
      if (!signal.aborted) {
        console.warn('download failed', error);
        this.transfers.finish(transferId, 'failed', failureValue(error));
      }
      return false;
    }
  }

  private streamThroughWorker(
    controller: ServiceWorker,
    stream: SaveStream,
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
      let timer = setTimeout(() => fail(new BrowserError('download-refused')), REGISTER_TIMEOUT_MS);
      const keepalive = setInterval(() => {
        controller.postMessage(KEEPALIVE);
        // A pause may last until the month ends: tell the worker this page is still here.
        if (this.transfers.isPaused(transferId)) send({ type: 'waiting' });
      }, KEEPALIVE_MS);

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
        // Only errors the stream: the browser shows the download failed, the panel says why.
        send({ type: 'error', message: asServiceFailure(error).message });
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
          const bytes = pending ?? (await stream.read());
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
              () => fail(new BrowserError('download-not-started')),
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
        filename: stream.filename,
        size: stream.length,
        port: channel.port2,
      };
      controller.postMessage(registration, [channel.port2]);
    });
  }

  private async writeTo(
    writable: FileSystemWritableFileStream,
    stream: SaveStream,
    first: ArrayBuffer | null,
    transferId: string,
    signal: AbortSignal,
  ): Promise<void> {
    for (let bytes = first; bytes !== null; bytes = await stream.read()) {
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
 * The name offered is the one a person reads (format.md §6.1), as the service worker saves it.
 */
async function savePickerIfNoWorker(name: string): Promise<FileSystemWritableFileStream | null> {
  const container = navigator.serviceWorker;
  if (container?.controller || (container && (await container.getRegistration()))) return null;
  if (!('showSaveFilePicker' in window)) return null;
  const picker = window as unknown as SaveFilePicker;
  const handle = await picker.showSaveFilePicker({ suggestedName: displayName(name) });
  return handle.createWritable();
}
