// "Send to a device" in the built app, end to end: the owner's drive sends a file straight to a
// receive page without an account, over loopback WebRTC introduced by the real signal server; the
// file is saved byte-identical (read from the sender's seed store, no server transfer), and a send
// cut short by closing the receiving page resumes from what that browser stored. Runs only inside a loopback-only network namespace.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { sha256OfFile, signUp, uploadFiles, waitUploaded } from '../e2e/app-flows';
import {
  appContext,
  closeDialog,
  type AppEnv,
  type BigFile,
  sendFromRow,
  shownCode,
  startApp,
  watchChunkFetches,
  writeBigFile,
} from './app-env';
import { launchChromium } from './loopback';

const MiB = 1024 * 1024;
const CHUNK = 4 * MiB;

let env: AppEnv;
let browsers: Browser[] = [];
let owner: Page;
let receiverContext: BrowserContext;
const files: BigFile[] = [];

beforeAll(async () => {
  env = await startApp();
  browsers = await Promise.all([launchChromium(), launchChromium()]);
  owner = await (await appContext(browsers[0]!)).newPage();
  owner.on('pageerror', (error) => console.error(`sender page error: ${error.message}`));
  receiverContext = await appContext(browsers[1]!);
  await signUp(owner, env.url, 'sender@example.com');
}, 300_000);

// A test that stopped midway may leave its dialog open: the next one starts from the drive.
afterEach(() => closeDialog(owner));

afterAll(async () => {
  await Promise.all(browsers.map((browser) => browser.close()));
  await env?.close();
  await Promise.all(files.map((file) => file.remove()));
});

async function receiverPage(): Promise<Page> {
  const page = await receiverContext.newPage();
  page.on('pageerror', (error) => console.error(`receiver page error: ${error.message}`));
  return page;
}

async function upload(name: string, size: number): Promise<BigFile> {
  const file = await writeBigFile(name, size);
  files.push(file);
  await uploadFiles(owner, [file.path]);
  await waitUploaded(owner, [name]);
  return file;
}

describe('send to a device from the drive', () => {
  it('delivers a 300 MB file to a receiver without an account, byte-identical', async () => {
    const file = await upload('holiday.mov', 300 * MiB);
    // This browser uploaded the file, so its seed store keeps the sealed chunks (just after the
    // upload commits): none is fetched from the server.
    await expect.poll(() => owner.evaluate(seededFiles)).toBe(1);
    const fetched = watchChunkFetches(owner);
    const code = await sendFromRow(owner, 'holiday.mov');
    const receiver = await receiverPage();
    // The receiving tab's JS heap, sampled while the file arrives and is saved: it stays far
    // below the file's size (chunks go to IndexedDB, then stream to disk one at a time).
    let heapPeak = 0;
    const sampling = setInterval(() => {
      receiver
        .evaluate(
          () =>
            (performance as unknown as { memory: { usedJSHeapSize: number } }).memory
              .usedJSHeapSize,
        )
        .then((used) => (heapPeak = Math.max(heapPeak, used)))
        .catch(() => undefined);
    }, 500);
    const started = Date.now();
    const [saved] = await Promise.all([
      receiver.waitForEvent('download', { timeout: 600_000 }),
      receiver.goto(`${env.url}/receive#${code}`),
    ]);
    await expect
      .poll(() => owner.getByRole('dialog').getByRole('status').innerText(), { timeout: 600_000 })
      .toMatch(/^Sent\./);
    expect(await receiver.getByTestId('offered-name').innerText()).toBe('holiday.mov');
    expect(saved.suggestedFilename()).toBe('holiday.mov');
    expect(await saved.failure()).toBeNull();
    clearInterval(sampling);
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `300 MiB sent and saved in ${seconds.toFixed(1)} s; receiving tab heap peak ${(heapPeak / MiB).toFixed(0)} MiB`,
    );
    expect(heapPeak).toBeGreaterThan(0);
    expect(heapPeak).toBeLessThan(150 * MiB);
    expect(await sha256OfFile(await saved.path())).toBe(file.sha256);
    fetched.stop();
    expect(fetched.indexes).toEqual([]);
    // "Saved" follows once the browser has written the last of the 300 MB to disk.
    await expect
      .poll(() => receiver.getByRole('status').filter({ hasText: 'Saved' }).count(), {
        timeout: 60_000,
      })
      .toBe(1);
    // Once saved, nothing of the file stays in the receiver's store.
    expect(await receiver.getByRole('heading', { name: 'On this device' }).count()).toBe(0);
    await owner.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
    await receiver.close();
  }, 900_000);

  it('resumes a send cut short by closing the receiving page: held chunks do not travel again', async () => {
    const size = 120 * MiB + 777;
    const count = Math.ceil(size / CHUNK);
    const file = await upload('archive.tar', size);
    // As on a device that did not upload it: every chunk is read from the server, where the test
    // can see which ones travel.
    await owner.evaluate(forgetSeeds);
    const firstCode = await sendFromRow(owner, 'archive.tar');
    const first = await receiverPage();
    await first.goto(`${env.url}/receive#${firstCode}`);
    await first
      .waitForFunction(() => (document.querySelector('progress')?.value ?? 0) >= 40, null, {
        timeout: 120_000,
        polling: 50,
      })
      .catch(async (error: unknown) => {
        const shown = await first.locator('main').innerText();
        throw new Error(`the transfer did not get halfway; the page shows: ${shown}`, {
          cause: error,
        });
      });
    await first.close();

    const dialog = owner.getByRole('dialog');
    await expect
      .poll(() => dialog.getByRole('alert').innerText(), { timeout: 60_000 })
      .toBe(
        'The other device went away before the end. What already arrived is kept: a new code continues from there.',
      );
    await dialog.getByRole('button', { name: 'New code' }).click();
    const secondCode = await shownCode(owner);
    expect(secondCode).not.toBe(firstCode);

    const second = await receiverPage();
    await second.goto(`${env.url}/receive`);
    const stored = second.getByRole('region', { name: 'On this device' });
    await stored.getByText('archive.tar').waitFor();
    const held = await second.evaluate(heldChunks);
    expect(held.length).toBeGreaterThan(0);
    expect(held.length).toBeLessThan(count);

    const fetched = watchChunkFetches(owner);
    await second.getByLabel('Code').fill(secondCode);
    const [saved] = await Promise.all([
      second.waitForEvent('download', { timeout: 300_000 }),
      second.getByRole('button', { name: 'Receive' }).click(),
    ]);
    expect(await saved.failure()).toBeNull();
    expect(await sha256OfFile(await saved.path())).toBe(file.sha256);
    fetched.stop();
    const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !held.includes(i));
    expect(fetched.indexes.filter((i) => held.includes(i))).toEqual([]);
    expect([...new Set(fetched.indexes)].sort((a, b) => a - b)).toEqual(missing);
    console.log(`resumed with ${held.length} of ${count} chunks held; ${missing.length} sent`);
  }, 900_000);
});

/** Runs in the sending page: how many files its seed store keeps (ADR 0007). */
async function seededFiles(): Promise<number> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open('coffre');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const count = await new Promise<number>((resolve, reject) => {
    const request = db.transaction('seedFiles').objectStore('seedFiles').count();
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  db.close();
  return count;
}

/** Runs in the sending page: empties its seed store, as if it had not uploaded the files. */
async function forgetSeeds(): Promise<void> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open('coffre');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const tx = db.transaction(['seedFiles', 'seedChunks'], 'readwrite');
  tx.objectStore('seedFiles').clear();
  tx.objectStore('seedChunks').clear();
  await new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}

/** Runs in the receiving page: the chunk indexes its IndexedDB store holds, from the bitmap. */
async function heldChunks(): Promise<number[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open('coffre-received');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const records = await new Promise<{ count: number; held: Uint8Array }[]>((resolve, reject) => {
    const request = db.transaction('received').objectStore('received').getAll();
    request.onsuccess = () => resolve(request.result as { count: number; held: Uint8Array }[]);
    request.onerror = () => reject(request.error);
  });
  db.close();
  const record = records[0]!;
  const held: number[] = [];
  for (let i = 0; i < record.count; i++) if (record.held[i >> 3]! & (0x80 >> (i & 7))) held.push(i);
  return held;
}
