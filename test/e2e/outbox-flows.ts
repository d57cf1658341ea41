import type { BrowserContext, Page } from 'playwright-core';

// What the outbox tests watch: every chunk PUT the browser sends and every 2xx it gets back, in
// the order the browser reported them, for the whole context (all its pages).

export interface ChunkEvent {
  kind: 'sent' | 'acknowledged';
  uploadId: string;
  index: number;
  page: Page | null;
}

const CHUNK_PUT = /\/api\/v1\/uploads\/([^/]+)\/chunks\/(\d+)$/;

export function recordChunkPuts(context: BrowserContext): ChunkEvent[] {
  const events: ChunkEvent[] = [];
  const parse = (method: string, url: string) => {
    if (method !== 'PUT') return null;
    const match = CHUNK_PUT.exec(new URL(url).pathname);
    return match ? { uploadId: match[1]!, index: Number(match[2]) } : null;
  };
  context.on('request', (request) => {
    const chunk = parse(request.method(), request.url());
    if (chunk) events.push({ kind: 'sent', ...chunk, page: request.frame()?.page() ?? null });
  });
  context.on('response', (response) => {
    const request = response.request();
    const chunk = parse(request.method(), request.url());
    if (chunk && response.status() >= 200 && response.status() < 300) {
      events.push({ kind: 'acknowledged', ...chunk, page: request.frame()?.page() ?? null });
    }
  });
  return events;
}

export function acknowledgedCount(events: ChunkEvent[]): number {
  return events.filter((e) => e.kind === 'acknowledged').length;
}

/** Chunk PUTs sent again for an upload and index the server had already answered 2xx. */
export function putsAfterAcknowledgement(events: ChunkEvent[]): ChunkEvent[] {
  const acknowledged = new Set<string>();
  const again: ChunkEvent[] = [];
  for (const event of events) {
    const key = `${event.uploadId}/${event.index}`;
    if (event.kind === 'acknowledged') acknowledged.add(key);
    else if (acknowledged.has(key)) again.push(event);
  }
  return again;
}

export async function waitFor(condition: () => boolean, timeout = 120_000): Promise<void> {
  const until = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The service worker controls the page and has cached the app shell: it can start offline. */
export async function serviceWorkerReady(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
    timeout: 30_000,
  });
}

/** The text the transfers panel shows for an upload. */
export function uploadItem(page: Page, name: string) {
  return page
    .locator('li')
    .filter({ has: page.getByRole('progressbar', { name: `Upload of ${name}`, exact: true }) })
    .last();
}

/**
 * Slows the page's uploads to about `bytesPerSecond` (Chromium's network emulation), so a test
 * can act in the middle of an upload that loopback would otherwise finish at once.
 */
export async function throttleUploads(
  context: BrowserContext,
  page: Page,
  bytesPerSecond: number,
): Promise<void> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: bytesPerSecond,
  });
}

/** The phases of the outbox records in the page's IndexedDB (format.md §12). */
export function outboxPhases(page: Page): Promise<string[]> {
  return page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const open = indexedDB.open('coffre');
        open.onerror = () => reject(new Error('IndexedDB did not open'));
        open.onsuccess = () => {
          const db = open.result;
          const read = db.transaction('outbox').objectStore('outbox').getAll();
          read.onsuccess = () => {
            db.close();
            resolve((read.result as { phase: string }[]).map((record) => record.phase));
          };
        };
      }),
  );
}

/** How many sealed chunks the page's outbox holds. */
export function storedChunkCount(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('coffre');
        open.onerror = () => reject(new Error('IndexedDB did not open'));
        open.onsuccess = () => {
          const db = open.result;
          const count = db.transaction('outboxChunks').objectStore('outboxChunks').count();
          count.onsuccess = () => {
            db.close();
            resolve(count.result);
          };
        };
      }),
  );
}
