// Messages between the page and the service worker for streamed downloads (types only, shared by
// services/downloads/download-service.ts and sw.ts).
//
// The page posts a DownloadRegistration to the worker with one end of a MessageChannel, waits for
// `registered`, then navigates a hidden iframe to DOWNLOAD_PATH + id. The worker answers that
// request with a stream whose every pull asks the page for the next verified, decrypted chunk.

export const DOWNLOAD_PATH = '/__download/';

export interface DownloadRegistration {
  type: 'coffre-download';
  id: string;
  filename: string;
  /** Exact byte length (Content-Length), or null when unknown ahead (some zips). */
  size: number | null;
  port: MessagePort;
}

/** Worker to page, over the port. */
export type WorkerToPage =
  | { type: 'registered' }
  /** The browser requested the download URL: the stream exists. */
  | { type: 'started' }
  | { type: 'pull' }
  /** The browser stopped reading (the person cancelled the download). */
  | { type: 'cancelled' };

/** Page to worker, over the port. */
export type PageToWorker =
  | { type: 'chunk'; bytes: ArrayBuffer }
  | { type: 'end' }
  /** No chunk yet, but the page is still there (the transfer is paused): keep waiting. */
  | { type: 'waiting' }
  /** Errors the stream so the browser marks the download failed and keeps no file. */
  | { type: 'error'; message: string };

/** Page to worker: keeps the worker alive during long downloads. */
export const KEEPALIVE = { type: 'coffre-keepalive' } as const;
/** Page to active worker: take control of pages that are not controlled yet (hard reload). */
export const CLAIM = { type: 'coffre-claim' } as const;
/** Page to waiting worker: activate the new version now (the "update ready" prompt). */
export const SKIP_WAITING = { type: 'SKIP_WAITING' } as const;

/** The Background Sync tag the page registers while uploads wait for the network. */
export const OUTBOX_SYNC_TAG = 'coffre-outbox';
/** Worker to open pages, when the browser fires that sync: drain the upload outbox now. */
export const OUTBOX_SYNC = { type: 'coffre-outbox-sync' } as const;
