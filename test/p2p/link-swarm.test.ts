// Peer-assisted share-link downloads with the real app: the owner uploads a file in the drive,
// shares it and stays online; a recipient in another browser opens the link and downloads. Most
// chunks come from the owner's browser, the saved file is identical, and the owner's monthly
// transfer grows only by what the server sent. A scripted malicious peer in the room is refused
// for every fault and the download completes from the server, identical. Runs only inside a
// loopback-only network namespace, with the app built first (`npx vite build`).
import { createHash } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import {
  driveReady,
  row,
  sha256OfFile,
  signUp,
  uploadFiles,
  uploadFolder,
  waitUploaded,
} from '../e2e/app-flows';
import { startStorage, type RunningStorage } from '../e2e/harness';
import { share } from '../e2e/link-flows';
import { makeFiles, type TestFile } from '../e2e/test-files';
import type { LinkMisbehaviour } from './harness/link-seeder';
import { type Harness, launchChromium, openHarnessPage, startHarness } from './loopback';

const MiB = 1024 * 1024;
const SIZE = 40 * MiB + 4321; // 11 chunks, the last one short
const COUNT = 11;
const SEALED_SIZE = SIZE + 41 * COUNT;
const FIRST_CHUNK = 4 * MiB + 41;

let harness: Harness;
let storage: RunningStorage;
let browsers: Browser[] = [];
let owner: Page;
let file: TestFile;
let linkUrl: string;
let clip: TestFile;
let folderLinkUrl: string;

/** The media grant that lets Chromium gather loopback candidates (stack.md §3). */
async function grantMedia(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    stream.getTracks().forEach((track) => track.stop());
  });
}

/**
 * Chromium calls a namespace with nothing but loopback offline, and the app holds uploads while
 * the browser says so; every page here is told the truth: its server is reachable.
 */
async function newPage(browser: Browser, options: { acceptDownloads?: boolean } = {}) {
  const context = await browser.newContext(options);
  await context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'onLine', { get: () => true });
  });
  return context.newPage();
}

/** The owner's month of transfer as the server counts it (`GET /account`). */
function transferUsed(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const token = await new Promise<string>((resolve, reject) => {
      const open = indexedDB.open('coffre');
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const get = open.result.transaction('session').objectStore('session').get('current');
        get.onsuccess = () => resolve((get.result as { token: string }).token);
        get.onerror = () => reject(get.error);
      };
    });
    const response = await fetch('/api/v1/account', {
      headers: { Authorization: `Bearer ${token}` },
    });
    return ((await response.json()) as { usage: { transferUsed: number } }).usage.transferUsed;
  });
}

/** A recipient with no account in a browser of their own: opens the link and downloads. */
async function recipientDownload(browser: Browser, { keepOpen = false } = {}) {
  const page = await newPage(browser, { acceptDownloads: true });
  const context = page.context();
  page.on('console', (message) => {
    if (message.type() === 'warning' || message.type() === 'error') {
      console.log(`recipient: ${message.text()}`);
    }
  });
  await page.goto(storage.url);
  await grantMedia(page);
  await page.goto(linkUrl);
  await page.getByText('holiday.mkv').first().waitFor();
  const started = Date.now();
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 120_000 }),
    page.getByRole('button', { name: 'Download' }).click(),
  ]);
  expect(await download.failure()).toBeNull();
  const seconds = (Date.now() - started) / 1000;
  const digest = await sha256OfFile(await download.path());
  await page.getByText('Downloaded ·').first().waitFor();
  const sources = page.locator('.progress .sources');
  const sourcesText = (await sources.count()) > 0 ? await sources.innerText() : '';
  // What a screen reader hears once the download ends: the outcome and, if peers helped, the split.
  const announced = await page.locator('.progress [role="status"]').innerText();
  expect(announced).toMatch(/^Downloaded · [\d.]+ MB/);
  expect(announced.endsWith(sourcesText)).toBe(true);
  if (!keepOpen) await context.close();
  return { digest, sourcesText, seconds, context };
}

beforeAll(async () => {
  harness = await startHarness();
  storage = await startStorage({ signalUrl: harness.signalUrl });
  browsers = await Promise.all([launchChromium(), launchChromium(), launchChromium()]);
  file = (await makeFiles({ 'holiday.mkv': SIZE })).files[0]!;
  owner = await newPage(browsers[0]!);
  await signUp(owner, storage.url, `owner-${Date.now()}@example.org`);
  await grantMedia(owner);
  await uploadFiles(owner, [file.absolute]);
  await waitUploaded(owner, ['holiday.mkv']);
  linkUrl = await share(owner, 'holiday.mkv');
  const folder = await makeFiles({ 'Trip/clip.mp4': 9 * MiB + 5 });
  clip = folder.files[0]!;
  await uploadFolder(owner, path.join(folder.root, 'Trip'));
  await waitUploaded(owner, ['clip.mp4']);
  // The new folder shows in the root after a reload; seeding starts again with the session.
  await owner.reload();
  await driveReady(owner);
  folderLinkUrl = await share(owner, 'Trip');
}, 300_000);

afterAll(async () => {
  await Promise.all(browsers.map((browser) => browser.close()));
  await storage?.close();
  await harness?.close();
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('share-link downloads helped by peers', () => {
  it('takes most chunks from the owner’s browser, the rest from the server, identical', async () => {
    const before = await transferUsed(owner);
    const got = await recipientDownload(browsers[1]!);
    expect(got.digest).toBe(sha256(file.content));
    const served = (await transferUsed(owner)) - before;
    // Chunk 0 always comes from the server (it counts the download); the peer sent the rest.
    expect(served).toBeGreaterThanOrEqual(FIRST_CHUNK);
    expect(served).toBeLessThan(SEALED_SIZE / 2);
    const [peers, server] = [...got.sourcesText.matchAll(/([\d.]+) MB/g)].map((m) => Number(m[1]));
    expect(got.sourcesText).toMatch(/MB from peers · [\d.]+ MB from the server/);
    expect(peers! * 1e6).toBeGreaterThan(SEALED_SIZE / 2);
    expect(Math.abs(server! * 1e6 - served)).toBeLessThan(0.01e6);
  });

  const faults: [LinkMisbehaviour, RegExp][] = [
    ['other-file', /integrity check/],
    ['garbage', /malformed message/],
    ['oversized', /over the 16 KiB limit/],
    ['out-of-order', /out of order/],
    ['no-final', /stopped sending/],
  ];

  it('serves a file below a shared folder from the owner’s browser too', async () => {
    const page = await newPage(browsers[1]!, { acceptDownloads: true });
    await page.goto(storage.url);
    await grantMedia(page);
    await page.goto(folderLinkUrl);
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 120_000 }),
      row(page, 'clip.mp4').getByRole('button', { name: 'Download' }).click(),
    ]);
    expect(await sha256OfFile(await download.path())).toBe(sha256(clip.content));
    // 3 chunks: chunk 0 from the server, the other two from the owner.
    await expect
      .poll(() => page.locator('.sources').first().innerText())
      .toMatch(/^5\.2 MB from peers · 4\.2 MB from the server$/);
    await page.context().close();
  });

  it('a recipient whose link page stays open serves the next one', async () => {
    await owner.context().close(); // the owner leaves: only recipients hold the file now
    const first = await recipientDownload(browsers[1]!, { keepOpen: true });
    expect(first.digest).toBe(sha256(file.content));
    expect(first.sourcesText).toBe(''); // nobody else in the room: all from the server
    const second = await recipientDownload(browsers[2]!);
    await first.context.close();
    expect(second.digest).toBe(sha256(file.content));
    const [peers, server] = [...second.sourcesText.matchAll(/([\d.]+) MB/g)].map((m) =>
      Number(m[1]),
    );
    expect(peers! * 1e6).toBeGreaterThan(SEALED_SIZE / 2);
    expect(server! * 1e6).toBeLessThan(SEALED_SIZE / 2);
  });

  it('refuses a malicious peer for every fault and completes from the server', async () => {
    // The owner and the earlier recipients are gone: only the scripted peer is in the room.
    const peer = await openHarnessPage(browsers[2]!, harness.pageUrl);
    const linkKey = new URL(linkUrl).hash.slice(1);
    for (const [how, refusal] of faults) {
      await peer.evaluate((o) => window.p2pHarness.linkSeeder.join(o), {
        signalUrl: harness.signalUrl,
        linkKey,
        how,
      });
      const got = await recipientDownload(browsers[1]!);
      expect(got.digest, how).toBe(sha256(file.content));
      expect(got.sourcesText, how).toBe(''); // not one byte from the peer was used
      const refusals = await peer.evaluate(() => window.p2pHarness.linkSeeder.refusals());
      expect(refusals, how).toEqual([
        expect.objectContaining({ message: expect.stringMatching(refusal) }),
      ]);
      await peer.evaluate(() => window.p2pHarness.linkSeeder.leave());
    }
  });
});
