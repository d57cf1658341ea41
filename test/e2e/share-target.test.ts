import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download, logIn, row, sha256OfFile, signUp, waitUploaded } from './app-flows';
import { chromiumPath } from './chromium-path';
import { CHROMIUM_ARGS, startStorage, type RunningStorage } from './harness';
import { makeFiles, type TestFile } from './test-files';

// Files shared to the installed app from another app: the OS posts them to the manifest's
// share_target, the service worker keeps them in the device's share inbox, and the app queues
// them for upload once an account is open. Here the post comes from a page on the app's origin,
// as the share sheet's would, and the files must reach the drive unchanged.

let storage: RunningStorage;
let context: BrowserContext;
let profile: string;
let files: TestFile[];

beforeAll(async () => {
  profile = await mkdtemp(path.join(tmpdir(), 'coffre-share-profile-'));
  [storage, context] = await Promise.all([
    startStorage(),
    chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath(),
      headless: true,
      args: CHROMIUM_ARGS,
      // Tall enough that the transfers panel leaves the drive's rows clickable.
      viewport: { width: 1280, height: 1000 },
    }),
  ]);
  ({ files } = await makeFiles({
    'holiday photo.jpg': 5 * 1024 * 1024 + 321,
    'note ü.txt': 'shared from another app\n',
    'while signed in.bin': 700_000,
  }));
});

afterAll(async () => {
  await context?.close();
  await storage?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Posts files to the share target with a real form submit, the way a share sheet opens the app. */
async function shareBySubmit(page: Page, shared: TestFile[]) {
  const manifest = await (await fetch(`${storage.url}/manifest.webmanifest`)).json();
  const target = manifest.share_target as { action: string; params: { files: [{ name: string }] } };
  await page.evaluate(
    ({ action, field }) => {
      const form = document.createElement('form');
      form.method = 'POST';
      form.enctype = 'multipart/form-data';
      form.action = action;
      const input = document.createElement('input');
      input.type = 'file';
      input.multiple = true;
      input.name = field;
      input.id = 'test-share-input';
      form.id = 'test-share-form';
      form.append(input);
      document.body.append(form);
    },
    { action: target.action, field: target.params.files[0].name },
  );
  await page.setInputFiles(
    '#test-share-input',
    shared.map((f) => f.absolute),
  );
  await Promise.all([
    page.waitForEvent('load'),
    page.evaluate(() => (document.getElementById('test-share-form') as HTMLFormElement).submit()),
  ]);
}

async function inboxSize(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('coffre-inbox');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('entries')) return resolve(0);
          const count = db.transaction('entries').objectStore('entries').count();
          count.onsuccess = () => resolve(count.result);
          count.onerror = () => reject(count.error);
        };
      }),
  );
}

async function expectDownloadMatches(page: Page, file: TestFile) {
  const name = path.basename(file.relative);
  const saved = await download(page, name);
  expect(await saved.failure()).toBeNull();
  expect(await sha256OfFile(await saved.path())).toBe(sha256(file.content));
  expect(saved.suggestedFilename()).toBe(name);
}

describe('sharing files to the installed app', () => {
  const email = `sharer-${Date.now()}@example.org`;
  let page: Page;

  it('keeps files shared while logged out, and uploads them after log-in', async () => {
    page = await context.newPage();
    await signUp(page, storage.url, email);
    // The service worker controls the app from its first load (it claims the page on install).
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    await page.getByRole('button', { name: /Account menu/ }).click();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in to your drive' }).waitFor();

    const shared = files.slice(0, 2);
    await shareBySubmit(page, shared);
    await page.getByText('2 shared files will be uploaded after you log in.').waitFor();
    expect(new URL(page.url()).search).toBe('');
    expect(await inboxSize(page)).toBe(2);

    await logIn(page, storage.url, email);
    await waitUploaded(
      page,
      shared.map((f) => path.basename(f.relative)),
    );
    expect(await inboxSize(page)).toBe(0);
    for (const file of shared) {
      await row(page, path.basename(file.relative)).waitFor();
      await expectDownloadMatches(page, file);
    }
  });

  it('queues a file shared while the drive is open in a tab', async () => {
    const file = files[2]!;
    const name = path.basename(file.relative);
    // A post that does not navigate this page: the open drive hears of the arrival and queues it.
    await page.evaluate(
      async ({ base64, name }) => {
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        const form = new FormData();
        form.append('files', new File([bytes], name, { type: 'application/octet-stream' }));
        const response = await fetch('/share-target', { method: 'POST', body: form });
        if (!response.redirected || !response.url.endsWith('/?shared=1')) {
          throw new Error(`share answered ${response.status} ${response.url}`);
        }
      },
      { base64: file.content.toString('base64'), name },
    );

    await waitUploaded(page, [name]);
    await row(page, name).waitFor();
    expect(await inboxSize(page)).toBe(0);
    await expectDownloadMatches(page, file);
  });
});
