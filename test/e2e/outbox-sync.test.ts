import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, startStorage, type RunningStorage } from './harness';
import { serviceWorkerReady } from './outbox-flows';

// Background Sync: when the browser fires the outbox's sync tag (it does once the network is
// usable again, even with the tab in the background), the service worker wakes the open pages,
// which send the queue. The event is dispatched here through the DevTools protocol, the way the
// browser would.

let storage: RunningStorage;
let browser: Browser;

beforeAll(async () => {
  [storage, browser] = await Promise.all([startStorage(), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await storage?.close();
});

describe('Background Sync', () => {
  it('wakes the open pages when the outbox tag fires', async () => {
    const page = await browser.newPage();
    await page.goto(storage.url);
    await serviceWorkerReady(page);
    await page.evaluate(() => {
      const seen = globalThis as unknown as { woken: number };
      seen.woken = 0;
      navigator.serviceWorker.addEventListener('message', (event: MessageEvent) => {
        const data = event.data as { type?: string } | null;
        if (data?.type === 'coffre-outbox-sync') seen.woken++;
      });
    });

    const cdp = await page.context().newCDPSession(page);
    const registrations: { registrationId: string; scopeURL: string }[] = [];
    cdp.on('ServiceWorker.workerRegistrationUpdated', (update) => {
      registrations.push(...update.registrations);
    });
    await cdp.send('ServiceWorker.enable');
    await expect.poll(() => registrations.length).toBeGreaterThan(0);
    const { registrationId } = registrations.find((r) => r.scopeURL.startsWith(storage.url))!;

    // Another tag is not the outbox's: nothing happens.
    await cdp.send('ServiceWorker.dispatchSyncEvent', {
      origin: storage.url,
      registrationId,
      tag: 'something-else',
      lastChance: false,
    });
    await cdp.send('ServiceWorker.dispatchSyncEvent', {
      origin: storage.url,
      registrationId,
      tag: 'coffre-outbox',
      lastChance: false,
    });
    await expect.poll(() => page.evaluate(() => (globalThis as { woken?: number }).woken)).toBe(1);
  });
});
