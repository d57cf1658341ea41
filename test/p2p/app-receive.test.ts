// The receive page and the way out when no direct connection happens, in the built app: a
// malformed code is refused before anything reaches the signal server, and when the receiver
// never connects "Send a link instead" gives a share link that downloads the same bytes, for a
// drive file and for a file still in the upload queue (which first finishes uploading its
// already-sealed chunks). Runs only inside a loopback-only network namespace.
import type { Page, Route } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { sha256OfFile, uploadFiles, waitUploaded } from '../e2e/app-flows';
import { appSession, inPageStores, sendFromRow, shownCode, tamperRelay } from './app-env';

const MiB = 1024 * 1024;

const app = appSession('owner@example.com');

/** Opens the link the dialog shows on a page without an account and downloads the file. */
async function downloadThroughLink(dialog: ReturnType<Page['getByRole']>): Promise<string> {
  const field = dialog.getByLabel('Link', { exact: true });
  await field.waitFor({ timeout: 300_000 });
  const url = await field.inputValue();
  expect(url).toMatch(/\/s\/[\w-]+#/);
  const page = await app.visitorPage();
  await page.goto(url);
  const [saved] = await Promise.all([
    page.waitForEvent('download', { timeout: 300_000 }),
    page.getByRole('button', { name: 'Download' }).click(),
  ]);
  expect(await saved.failure()).toBeNull();
  const digest = await sha256OfFile(await saved.path());
  await page.close();
  return digest;
}

describe('receive page', () => {
  it('refuses a malformed code with a clear message, and nothing reaches the signal server', async () => {
    const page = await app.visitorPage();
    const toSignal: string[] = [];
    page.on('request', (request) => {
      if (request.url().startsWith(app.env.signalUrl)) toSignal.push(request.url());
    });
    page.on('websocket', (socket) => toSignal.push(socket.url()));
    await page.goto(`${app.env.url}/receive`);
    const code = page.getByLabel('Code');

    await code.fill('12-glacier');
    await page.getByRole('button', { name: 'Receive' }).click();
    const alert = page.getByRole('alert');
    await expect
      .poll(() => alert.innerText())
      .toBe('A code has four parts: a number and three words, like 1234-word-word-word.');
    expect(await code.getAttribute('aria-invalid')).toBe('true');

    await code.fill('9407-glacier-cactus-notaword');
    await page.getByRole('button', { name: 'Receive' }).click();
    await expect.poll(() => alert.innerText()).toBe('Word 3 ("notaword") is not a code word.');

    // A malformed code in a scanned link's fragment is refused the same way.
    const scanned = await app.visitorPage();
    scanned.on('request', (request) => {
      if (request.url().startsWith(app.env.signalUrl)) toSignal.push(request.url());
    });
    scanned.on('websocket', (socket) => toSignal.push(socket.url()));
    await scanned.goto(`${app.env.url}/receive#abcd-glacier-cactus-winter`);
    await expect
      .poll(() => scanned.getByRole('alert').innerText())
      .toBe('A code starts with four digits.');
    // A code scanned while the page is open arrives as a new fragment, and is read as well.
    await scanned.evaluate(() => (location.hash = '#12-glacier'));
    await expect
      .poll(() => scanned.getByRole('alert').innerText())
      .toBe('A code has four parts: a number and three words, like 1234-word-word-word.');
    expect(await scanned.getByLabel('Code').inputValue()).toBe('12-glacier');
    expect(new URL(scanned.url()).hash).toBe('');
    expect(toSignal).toEqual([]);
    await Promise.all([page.close(), scanned.close()]);
  });
});

describe('pairing', () => {
  it('tells both sides when the receiver types a wrong code', async () => {
    await app.uploaded('notes.txt', 1000);
    const code = await sendFromRow(app.owner, 'notes.txt');
    const [nameplate, first, second, third] = code.split('-') as [string, string, string, string];
    const wrong = [nameplate, first, second, third === first ? second : first].join('-');
    const page = await app.visitorPage();
    await page.goto(`${app.env.url}/receive`);
    await page.getByLabel('Code').fill(wrong);
    await page.getByRole('button', { name: 'Receive' }).click();
    await expect
      .poll(() => page.getByRole('alert').innerText(), { timeout: 60_000 })
      .toBe('The pairing failed: wrong code, or a message was tampered with on the way.');
    const dialog = app.owner.getByRole('dialog');
    await expect
      .poll(() => dialog.getByRole('alert').innerText(), { timeout: 60_000 })
      .toBe(
        'The other device typed a wrong code (or the pairing was tampered with). Make a new code and try again.',
      );
    // The code is spent: the dialog offers a new one.
    await dialog.getByRole('button', { name: 'New code' }).click();
    expect(await shownCode(app.owner)).not.toBe(code);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await page.close();
  });

  it('refuses WebRTC signals the signal server altered, stores nothing, and the server stays up', async () => {
    const file = await app.uploaded('plans.txt', 1000);
    // Relayed 1–4 are the pairing (two shares, two confirmations); from 5 on, the sealed WebRTC
    // offer and answer, which only a confirmed pair sends.
    const untamper = tamperRelay(app.env, 5);
    const page = await app.visitorPage();
    try {
      const code = await sendFromRow(app.owner, 'plans.txt');
      await page.goto(`${app.env.url}/receive#${code}`);
      await expect
        .poll(() => page.getByRole('alert').innerText(), { timeout: 60_000 })
        .toBe('The pairing failed: wrong code, or a message was tampered with on the way.');
      expect(await receivedCounts(page)).toEqual([0, 0]);
      // The receiver gave up and left the room: the sender says so within the 10 s grace,
      // not at its 30 s connect timeout (which would say that no connection could be made).
      await expect
        .poll(() => app.owner.getByRole('dialog').getByRole('alert').innerText(), {
          timeout: 20_000,
        })
        .toBe('The other device gave up before the connection was made.');
    } finally {
      untamper();
      await page.close();
    }
    const dialog = app.owner.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    // The same signal server introduces the next pair as if nothing had happened.
    const code = await sendFromRow(app.owner, 'plans.txt');
    const again = await app.visitorPage();
    const [saved] = await Promise.all([
      again.waitForEvent('download', { timeout: 120_000 }),
      again.goto(`${app.env.url}/receive#${code}`),
    ]);
    expect(await sha256OfFile(await saved.path())).toBe(file.sha256);
    await expect.poll(() => dialog.getByRole('status').innerText()).toMatch(/^Sent\./);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await again.close();
  });
});

/**
 * What this browser holds from other devices (format.md §13.8): files, whole or partial, and
 * their chunks.
 */
async function receivedCounts(page: Page): Promise<[files: number, chunks: number]> {
  const [files, chunks] = await inPageStores<number>(page, 'coffre-received', 'count', [
    'received',
    'receivedChunks',
  ]);
  return [files!, chunks!];
}

describe('from the upload queue, and partial files', () => {
  it('sends a file still in the upload queue from the sealed chunks on this device', async () => {
    const file = await app.bigFile('draft.mkv', 20 * MiB + 3);
    // Nothing of the upload reaches the server: every chunk comes from the outbox.
    const held: Route[] = [];
    await app.owner.route('**/api/v1/uploads/*/chunks/*', (route) => void held.push(route));
    await uploadFiles(app.owner, [file.path]);
    const send = app.owner.getByRole('button', { name: 'Send draft.mkv to a device' });
    await send.waitFor({ timeout: 120_000 });
    await send.click();
    const code = await shownCode(app.owner);
    const page = await app.visitorPage();
    const [saved] = await Promise.all([
      page.waitForEvent('download', { timeout: 300_000 }),
      page.goto(`${app.env.url}/receive#${code}`),
    ]);
    expect(await saved.failure()).toBeNull();
    expect(saved.suggestedFilename()).toBe('draft.mkv');
    expect(await sha256OfFile(await saved.path())).toBe(file.sha256);
    const dialog = app.owner.getByRole('dialog');
    await expect.poll(() => dialog.getByRole('status').innerText()).toMatch(/^Sent\./);
    await dialog.getByRole('button', { name: 'Done' }).click();
    // Unrouting lets the held chunk uploads go on.
    await app.owner.unroute('**/api/v1/uploads/*/chunks/*');
    await waitUploaded(app.owner, ['draft.mkv']);
    await page.close();
  });

  it('keeps what arrived when the receiver cancels, and lets the person discard it', async () => {
    await app.uploaded('film.mp4', 60 * MiB);
    const code = await sendFromRow(app.owner, 'film.mp4');
    const page = await app.visitorPage();
    await page.goto(`${app.env.url}/receive#${code}`);
    await page.waitForFunction(() => (document.querySelector('progress')?.value ?? 0) >= 10, null, {
      timeout: 120_000,
      polling: 50,
    });
    await page.getByRole('button', { name: 'Cancel' }).click();
    const dialog = app.owner.getByRole('dialog');
    await expect
      .poll(() => dialog.getByRole('alert').innerText(), { timeout: 60_000 })
      .toBe(
        'The other device cancelled. What already arrived is kept: a new code continues from there.',
      );
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    const stored = page.getByRole('region', { name: 'On this device' });
    await stored.getByText('film.mp4').waitFor();
    await stored.getByRole('button', { name: 'Discard film.mp4' }).click();
    await stored.waitFor({ state: 'detached' });
    expect(await receivedCounts(page)).toEqual([0, 0]);
    await page.close();
  });
});

describe('send a link instead', () => {
  it('gives a link to a drive file when the receiver never connects; it downloads identical', async () => {
    const file = await app.uploaded('report.pdf', 24 * MiB + 5);
    await sendFromRow(app.owner, 'report.pdf');
    const dialog = app.owner.getByRole('dialog');
    await dialog.getByText('Waiting for the other device…').waitFor();
    await dialog.getByRole('button', { name: 'Send a link instead' }).click();
    expect(await downloadThroughLink(dialog)).toBe(file.sha256);
    await dialog.getByRole('button', { name: 'Done' }).click();
  });

  it('lets a queued file finish uploading its sealed chunks, then gives its link', async () => {
    const file = await app.bigFile('queued.iso', 40 * MiB + 99);
    // The upload's chunks are held back, so the file sits in the queue as it would on a slow line.
    const held: Route[] = [];
    let holding = true;
    await app.owner.route('**/api/v1/uploads/*/chunks/*', async (route) => {
      if (holding) held.push(route);
      else await route.continue();
    });
    await uploadFiles(app.owner, [file.path]);
    const send = app.owner.getByRole('button', { name: 'Send queued.iso to a device' });
    await send.waitFor({ timeout: 120_000 });
    await send.click();
    await shownCode(app.owner);
    const dialog = app.owner.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Send a link instead' }).click();
    await dialog.getByText(/Finishing the upload first/).waitFor();

    holding = false;
    await Promise.all(held.splice(0).map((route) => route.continue()));
    expect(await downloadThroughLink(dialog)).toBe(file.sha256);
    await app.owner.unroute('**/api/v1/uploads/*/chunks/*');
    await waitUploaded(app.owner, ['queued.iso']);
    await dialog.getByRole('button', { name: 'Done' }).click();
  });
});

describe('from the drive', () => {
  it('the account menu leads to the receive page', async () => {
    await app.owner.getByRole('button', { name: 'Account menu for' }).click();
    await app.owner.getByRole('link', { name: 'Receive from a device' }).click();
    await app.owner.getByRole('heading', { name: 'Receive from a device' }).waitFor();
    expect(new URL(app.owner.url()).pathname).toBe('/receive');
    await expect.poll(() => app.owner.getByLabel('Code').isVisible()).toBe(true);
  });
});
