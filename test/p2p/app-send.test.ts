// "Send to a device" in the built app, end to end: the owner's drive sends a file straight to a
// receive page without an account, over loopback WebRTC introduced by the real signal server; the
// file is saved byte-identical (read from the sender's seed store, no server transfer), and a send
// cut short by closing the receiving page resumes from what that browser stored. Runs only inside a loopback-only network namespace.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { sha256OfFile } from '../e2e/app-flows';
import { appSession, inPageStores, sendFromRow, shownCode, watchChunkFetches } from './app-env';

const MiB = 1024 * 1024;
const CHUNK = 4 * MiB;

const app = appSession('sender@example.com');

describe('send to a device from the drive', () => {
  it('delivers a 300 MB file to a receiver without an account, byte-identical', async () => {
    const file = await app.uploaded('holiday.mov', 300 * MiB);
    // This browser uploaded the file, so its seed store keeps the sealed chunks (just after the
    // upload commits): none is fetched from the server.
    await expect.poll(() => seededFiles()).toBe(1);
    const fetched = watchChunkFetches(app.owner);
    const code = await sendFromRow(app.owner, 'holiday.mov');
    const receiver = await app.visitorPage();
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
      receiver.goto(`${app.env.url}/receive#${code}`),
    ]);
    await expect
      .poll(() => app.owner.getByRole('dialog').getByRole('status').innerText(), {
        timeout: 600_000,
      })
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
    await app.owner.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
    await receiver.close();
  }, 900_000);

  it('resumes a send cut short by closing the receiving page: held chunks do not travel again', async () => {
    const size = 120 * MiB + 777;
    const count = Math.ceil(size / CHUNK);
    const file = await app.uploaded('archive.tar', size);
    // As on a device that did not upload it: every chunk is read from the server, where the test
    // can see which ones travel.
    await inPageStores(app.owner, 'coffre', 'clear', ['seedFiles', 'seedChunks']);
    const firstCode = await sendFromRow(app.owner, 'archive.tar');
    const first = await app.visitorPage();
    await first.goto(`${app.env.url}/receive#${firstCode}`);
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

    const dialog = app.owner.getByRole('dialog');
    await expect
      .poll(() => dialog.getByRole('alert').innerText(), { timeout: 60_000 })
      .toBe(
        'The other device went away before the end. What already arrived is kept: a new code continues from there.',
      );
    await dialog.getByRole('button', { name: 'New code' }).click();
    const secondCode = await shownCode(app.owner);
    expect(secondCode).not.toBe(firstCode);

    const second = await app.visitorPage();
    await second.goto(`${app.env.url}/receive`);
    const stored = second.getByRole('region', { name: 'On this device' });
    await stored.getByText('archive.tar').waitFor();
    const held = await heldChunks(second);
    expect(held.length).toBeGreaterThan(0);
    expect(held.length).toBeLessThan(count);

    const fetched = watchChunkFetches(app.owner);
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

/** How many files the owner's seed store keeps (ADR 0007). */
async function seededFiles(): Promise<number> {
  const [count] = await inPageStores<number>(app.owner, 'coffre', 'count', ['seedFiles']);
  return count!;
}

/** The chunk indexes a receiving page's store holds, from its one file's bitmap. */
async function heldChunks(page: Page): Promise<number[]> {
  const [records] = await inPageStores<{ count: number; held: Uint8Array }[]>(
    page,
    'coffre-received',
    'getAll',
    ['received'],
  );
  const { count, held } = records![0]!;
  return Array.from({ length: count }, (_, i) => i).filter(
    (i) => (held[i >> 3]! & (0x80 >> (i & 7))) !== 0,
  );
}
