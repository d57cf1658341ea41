import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { row, signUp, uploadFiles, uploadFolder, waitUploaded } from './app-flows';
import { launchChromium, startStorage, type RunningStorage } from './harness';
import { share, unlock } from './link-flows';
import { startTamperProxy, type RecordedRequest, type TamperProxy } from './tamper-proxy';
import { makeFiles } from './test-files';

// R11: the link key lives only in the URL fragment. Everything the browser sends to the server
// passes through a recording proxy, and every WebSocket frame is captured; none may contain the
// key in any encoding, on the happy path or on any error path.

let storage: RunningStorage;
let proxy: TamperProxy;
let browser: Browser;
let owner: Page;
const seen: RecordedRequest[] = [];
const frames: string[] = [];

beforeAll(async () => {
  [storage, browser] = await Promise.all([startStorage(), launchChromium()]);
  proxy = await startTamperProxy(storage.url);
  proxy.record = (req) => seen.push(req);
  owner = await (await browser.newContext()).newPage();
  await signUp(owner, proxy.url, `auditor-${Date.now()}@example.org`);
  const { files } = await makeFiles({ 'contract.pdf': 9 * 1024 * 1024 + 5 });
  const folder = await makeFiles({ 'Audit/inner.txt': 'inside' });
  await uploadFiles(owner, [files[0]!.absolute]);
  await uploadFolder(owner, `${folder.root}/Audit`);
  await waitUploaded(owner, ['contract.pdf', 'inner.txt']);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await storage?.close();
});

/** Every way the key's 32 bytes could be written down. */
function encodings(keyText: string): Buffer[] {
  const raw = Buffer.from(keyText, 'base64url');
  expect(raw.length).toBe(32);
  return [
    Buffer.from(keyText),
    Buffer.from(raw.toString('base64')),
    Buffer.from(raw.toString('hex')),
    Buffer.from(encodeURIComponent(`#${keyText}`)),
    raw,
  ];
}

function assertNeverSent(keyText: string) {
  const needles = encodings(keyText);
  expect(seen.length).toBeGreaterThan(0);
  for (const req of seen) {
    const visible = Buffer.concat([
      Buffer.from(`${req.method} ${req.url}\n${JSON.stringify(req.headers)}\n`),
      req.body,
    ]);
    for (const needle of needles) {
      expect(visible.includes(needle), `key found in ${req.method} ${req.url}`).toBe(false);
    }
  }
  for (const frame of frames) {
    for (const needle of needles) expect(frame.includes(needle.toString('latin1'))).toBe(false);
  }
}

async function recipientPage() {
  const page = await (await browser.newContext()).newPage();
  page.on('websocket', (ws) => {
    ws.on('framesent', (f) => frames.push(String(f.payload)));
    ws.on('framereceived', (f) => frames.push(String(f.payload)));
  });
  return page;
}

describe('the link key never leaves the browser', () => {
  it('on creating, listing, opening, previewing and downloading links', async () => {
    const fileUrl = await share(owner, 'contract.pdf');
    const folderUrl = await share(owner, 'Audit');
    const passwordUrl = await share(owner, 'contract.pdf', { password: 'pa55word audit' });
    await owner
      .getByRole('navigation', { name: 'Drive' })
      .getByRole('button', { name: 'Shared links' })
      .click();
    await owner.getByRole('row').filter({ hasText: 'contract.pdf' }).first().waitFor();

    const page = await recipientPage();
    await page.goto(fileUrl);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download' }).click(),
    ]);
    expect(await download.failure()).toBeNull();

    await page.goto(folderUrl);
    await row(page, 'inner.txt').waitFor();
    await row(page, 'inner.txt').getByRole('button', { name: 'Preview' }).click();
    await page.getByText('inside').first().waitFor();

    await page.goto(passwordUrl);
    await unlock(page, 'wrong guess');
    await page.getByText('Wrong password').waitFor({ timeout: 30_000 });
    await unlock(page, 'pa55word audit');
    await page.getByRole('button', { name: 'Download' }).waitFor();

    for (const url of [fileUrl, folderUrl, passwordUrl]) assertNeverSent(url.split('#')[1]!);
  });

  it('on every error path: malformed, wrong key, revoked', async () => {
    await owner
      .getByRole('navigation', { name: 'Drive' })
      .getByRole('button', { name: 'My files' })
      .click();
    const url = await share(owner, 'contract.pdf');
    const [base, key] = url.split('#') as [string, string];
    const page = await recipientPage();
    await page.goto(`${base}#${key.slice(0, 40)}`);
    await page.getByText(/incomplete or damaged/i).waitFor();
    const wrong = key.startsWith('A') ? `B${key.slice(1)}` : `A${key.slice(1)}`;
    await page.goto('about:blank');
    await page.goto(`${base}#${wrong}`);
    await page.getByText(/wrong or damaged link/i).waitFor({ timeout: 30_000 });

    await owner
      .getByRole('navigation', { name: 'Drive' })
      .getByRole('button', { name: 'Shared links' })
      .click();
    // Revoke every link to the file, so the one opened below is surely gone.
    const links = owner.getByRole('row').filter({ hasText: 'contract.pdf' });
    await links.first().waitFor();
    for (let left = await links.count(); left > 0; left--) {
      await links.first().getByRole('button', { name: 'Revoke' }).click();
      await owner.getByRole('dialog').getByRole('button', { name: 'Revoke link' }).click();
      await expect.poll(() => links.count()).toBe(left - 1);
    }
    await page.goto('about:blank');
    await page.goto(url);
    await page.getByText(/no longer available|doesn.t exist/i).waitFor({ timeout: 30_000 });

    assertNeverSent(key);
    assertNeverSent(wrong);
  });
});
