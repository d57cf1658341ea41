// Coffre's service worker: precaches the app shell (offline start), serves index.html for app
// routes, turns downloads into streams written straight to disk (see services/downloads/download-service.ts),
// takes in files shared from other apps, and wakes open pages to send the upload outbox.
import { clientsClaim } from 'workbox-core';
import {
  cleanupOutdatedCaches,
  createHandlerBoundToURL,
  precacheAndRoute,
} from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { displayName } from '@coffre/core/format';
import { addToInbox, SHARE_TARGET_FIELD, SHARE_TARGET_PATH } from './services/outbox/share-inbox';
import type {
  DownloadRegistration,
  PageToWorker,
  WorkerToPage,
} from './services/platform/sw-messages';
import { DOWNLOAD_PATH, OUTBOX_SYNC, OUTBOX_SYNC_TAG } from './services/platform/sw-messages';

declare const self: ServiceWorkerGlobalScope & {
  __WB_MANIFEST: Array<{ url: string; revision: string | null } | string>;
};

/** Registered downloads waiting for the browser's request, by id. */
const downloads = new Map<string, DownloadRegistration>();
/** A registration whose request never came (the page went away) is dropped after this. */
const UNCLAIMED_MS = 60_000;
/**
 * Longest wait for one chunk from the page (it retries slow requests for a while itself). A page
 * whose download is paused says `waiting` now and then, which starts the wait again.
 */
const PULL_TIMEOUT_MS = 5 * 60_000;

// Registered before Workbox's routes so the download URLs never reach them.
self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith(DOWNLOAD_PATH)) return;
  const registration = downloads.get(url.pathname.slice(DOWNLOAD_PATH.length));
  if (!registration) {
    event.respondWith(new Response('This download is no longer available.', { status: 404 }));
    return;
  }
  downloads.delete(registration.id);
  event.respondWith(downloadResponse(registration));
});

// Files shared from another app (the manifest's share_target). They wait in the share inbox until
// the app, with an account open, queues them; the redirect opens the app to do so.
self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'POST' || url.origin !== self.location.origin) return;
  if (url.pathname !== SHARE_TARGET_PATH) return;
  event.respondWith(receiveShare(event.request));
});

async function receiveShare(request: Request): Promise<Response> {
  let outcome: string;
  try {
    const form = await request.formData();
    const files = form.getAll(SHARE_TARGET_FIELD).filter((v): v is File => v instanceof File);
    await addToInbox(files);
    outcome = String(files.length);
  } catch {
    // Storage full or a malformed post: the app says the share did not arrive.
    outcome = 'failed';
  }
  return Response.redirect(new URL(`/?shared=${outcome}`, self.location.origin).href, 303);
}

self.addEventListener('message', (event) => {
  const data: unknown = event.data;
  if (!data || typeof data !== 'object' || !('type' in data)) return;
  if (data.type === 'SKIP_WAITING') {
    void self.skipWaiting();
  } else if (data.type === 'coffre-claim') {
    event.waitUntil(self.clients.claim());
  } else if (data.type === 'coffre-download') {
    const registration = data as DownloadRegistration;
    const port = event.ports[0];
    if (!port || typeof registration.id !== 'string') return;
    downloads.set(registration.id, { ...registration, port });
    setTimeout(() => downloads.delete(registration.id), UNCLAIMED_MS);
    tell(port, { type: 'registered' });
  }
  // Any other message (the page's keep-alive) only extends this worker's lifetime.
});

function tell(port: MessagePort, message: WorkerToPage): void {
  port.postMessage(message);
}

/**
 * A response whose body pulls one decrypted chunk at a time from the page: the queue holds at
 * most one chunk, so memory stays flat. An error from the page errors the stream (never closes
 * it), so the browser marks the download failed and discards the partial file.
 */
function downloadResponse({ filename, size, port }: DownloadRegistration): Response {
  let stream!: ReadableStreamDefaultController<Uint8Array>;
  /** Settles the pull in progress, if any. */
  let answered: (() => void) | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const settle = (): void => {
    clearTimeout(timer);
    const resolve = answered;
    answered = null;
    resolve?.();
  };
  // A page that went away (tab closed) never answers: fail rather than hang forever.
  const waitForPage = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => fail('The page stopped sending data.'), PULL_TIMEOUT_MS);
  };
  const fail = (message: string): void => {
    stream.error(new Error(message));
    port.close();
    settle();
  };
  // An error may come at any time (a cancel while no pull is waiting), so it is handled here
  // rather than only as the answer to a pull.
  port.onmessage = (event: MessageEvent<PageToWorker>) => {
    const message = event.data;
    if (message.type === 'error') return fail(message.message);
    if (message.type === 'waiting') {
      if (answered) waitForPage();
      return;
    }
    if (message.type === 'chunk') stream.enqueue(new Uint8Array(message.bytes));
    else {
      stream.close();
      port.close();
    }
    settle();
  };
  tell(port, { type: 'started' });

  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        stream = controller;
      },
      pull() {
        return new Promise<void>((resolve) => {
          answered = resolve;
          waitForPage();
          tell(port, { type: 'pull' });
        });
      },
      cancel() {
        clearTimeout(timer);
        tell(port, { type: 'cancelled' });
        port.close();
      },
    },
    { highWaterMark: 1 },
  );

  const headers = new Headers({
    'Content-Type': 'application/octet-stream',
    'Content-Disposition': contentDisposition(filename),
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'Cache-Control': 'no-store',
  });
  // With a length the browser shows progress and refuses a short stream as incomplete.
  if (size !== null) headers.set('Content-Length', String(size));
  return new Response(body, { headers });
}

/**
 * RFC 6266 / 5987: an ASCII fallback plus the UTF-8 name, in the form a person reads it (format.md
 * §6.1): a character that hides or reorders text would do the same in a file manager.
 */
function contentDisposition(name: string): string {
  const filename = displayName(name);
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

// Background Sync: the browser fires the outbox's tag once the network is usable again. Only a
// page holds the session, so the worker wakes the open pages and they send the queue.
self.addEventListener('sync', (event: Event) => {
  const sync = event as ExtendableEvent & { tag?: string };
  if (sync.tag !== OUTBOX_SYNC_TAG) return;
  sync.waitUntil(
    self.clients.matchAll({ type: 'window' }).then((pages) => {
      for (const page of pages) page.postMessage(OUTBOX_SYNC);
    }),
  );
});

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
// Every app route, the link page /s/<linkId> included, gets the precached index.html. Nothing else
// is routed or cached here: API answers (link answers above all, which must not outlive a revoke)
// always go to the network.
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('index.html'), {
    denylist: [/^\/api\//, new RegExp('^' + DOWNLOAD_PATH)],
  }),
);

// The first install takes control at once, so downloads work right after sign-up. Later
// versions wait until the person accepts the "update ready" prompt (SKIP_WAITING above).
self.addEventListener('install', () => {
  if (!self.registration.active) void self.skipWaiting();
});
clientsClaim();
