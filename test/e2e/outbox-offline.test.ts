import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  download,
  driveReady,
  row,
  sha256OfFile,
  signUp,
  uploadFiles,
  waitUploaded,
} from './app-flows';
import { launchPersistentChromium, startStorage, type RunningStorage } from './harness';
import {
  acknowledgedCount,
  putsAfterAcknowledgement,
  recordChunkPuts,
  serviceWorkerReady,
  throttleUploads,
  uploadItem,
  waitFor,
} from './outbox-flows';
import { makeFiles, type TestFile } from './test-files';

// Files added offline wait in the outbox on the device, survive a reload with no network (the
// service worker serves the app, the session opens from the stored key bundle), and upload
// byte-identical once the network is back.

const MB = 1_000_000;
let storage: RunningStorage;
let context: BrowserContext;
let profile: string;
let files: TestFile[];

beforeAll(async () => {
  profile = await mkdtemp(path.join(tmpdir(), 'coffre-profile-'));
  [storage, context] = await Promise.all([startStorage(), launchPersistentChromium(profile)]);
  ({ files } = await makeFiles({
    'offline film.mp4': 100 * MB + 4321,
    'offline notes.txt': 'written on a train\n'.repeat(500),
    'offline photo.jpg': 3 * MB + 17,
  }));
});

afterAll(async () => {
  await context?.close();
  await storage?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const names = () => files.map((f) => path.basename(f.relative));

async function expectWaiting(page: Page) {
  for (const name of names()) {
    await expect
      .poll(() => uploadItem(page, name).innerText(), { timeout: 120_000 })
      .toMatch(/waiting for network/i);
  }
}

describe('the upload outbox offline', () => {
  it('queues files offline, keeps them across an offline reload and uploads them when back online', async () => {
    const page = context.pages()[0] ?? (await context.newPage());
    await signUp(page, storage.url, `offline-${Date.now()}@example.org`);
    await serviceWorkerReady(page);

    await context.setOffline(true);
    await uploadFiles(
      page,
      files.map((f) => f.absolute),
    );
    await expectWaiting(page);

    // No network at all: the app still opens, with its banner and the queue.
    await page.reload();
    await driveReady(page);
    await page.getByText(/you are offline/i).waitFor();
    await expectWaiting(page);
    for (const name of names()) {
      const queued = page.getByRole('row').filter({ hasText: name });
      await expect(queued.innerText()).resolves.toMatch(/waiting to upload/i);
    }

    await context.setOffline(false);
    await waitUploaded(page, names());
    await expect.poll(() => page.getByText(/you are offline/i).count()).toBe(0);

    for (const file of files) {
      const name = path.basename(file.relative);
      // The transfers panel would cover the rows' buttons.
      const close = page.getByRole('button', { name: 'Close transfers' });
      if (await close.isVisible()) await close.click();
      await row(page, name).getByRole('button', { name: 'Download' }).waitFor({ timeout: 60_000 });
      const saved = await download(page, name);
      expect(await saved.failure()).toBeNull();
      expect(await sha256OfFile(await saved.path())).toBe(sha256(file.content));
    }
  });

  it('waits for the network when it drops mid-upload, then finishes without sending an acknowledged chunk again', async () => {
    const page = context.pages()[0]!;
    const { files: dropped } = await makeFiles({ 'network drop.bin': 80 * MB });
    const events = recordChunkPuts(context);
    await throttleUploads(context, page, 20 * MB);
    await uploadFiles(page, [dropped[0]!.absolute]);
    await waitFor(() => acknowledgedCount(events) >= 3);

    await context.setOffline(true);
    await expect
      .poll(() => uploadItem(page, 'network drop.bin').innerText(), { timeout: 30_000 })
      .toMatch(/waiting for network/i);
    await context.setOffline(false);
    await waitUploaded(page, ['network drop.bin']);
    expect(putsAfterAcknowledgement(events)).toEqual([]);

    const close = page.getByRole('button', { name: 'Close transfers' });
    if (await close.isVisible()) await close.click();
    const saved = await download(page, 'network drop.bin');
    expect(await sha256OfFile(await saved.path())).toBe(sha256(dropped[0]!.content));
  });
});
