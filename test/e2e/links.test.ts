import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openFolder,
  row,
  sha256OfFile,
  signUp,
  uploadFiles,
  uploadFolder,
  waitUploaded,
} from './app-flows';
import { launchChromium, startStorage, type RunningStorage } from './harness';
import { share, unlock } from './link-flows';
import { makeFiles, type TestFile } from './test-files';

// Share links as people use them: the owner shares from the drive; someone with no account opens
// the link in another browser context and gets the same bytes, or a clear refusal.

const MiB = 1024 * 1024;
const DAY = 24 * 60 * 60 * 1000;

let storage: RunningStorage;
let browser: Browser;
let owner: Page;
let clockOffset = 0;
let big: TestFile;
let folderFiles: TestFile[];

beforeAll(async () => {
  [storage, browser] = await Promise.all([
    startStorage({ now: () => Date.now() + clockOffset }),
    launchChromium(),
  ]);
  big = (await makeFiles({ 'big-video.mkv': 200 * MiB + 4321 })).files[0]!;
  const folder = await makeFiles({
    'Shared Folder/readme.txt': 'hello from the shared folder',
    'Shared Folder/Sub/photo.jpg': 5 * MiB + 17,
    'Shared Folder/Sub/Deeper/notes.md': '# deep notes',
  });
  folderFiles = folder.files;
  owner = await (await browser.newContext()).newPage();
  await signUp(owner, storage.url, `owner-${Date.now()}@example.org`);
  await uploadFiles(owner, [big.absolute]);
  await uploadFolder(owner, path.join(folder.root, 'Shared Folder'));
  await waitUploaded(owner, [
    'big-video.mkv',
    ...folderFiles.map((f) => path.basename(f.relative)),
  ]);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await storage?.close();
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A fresh browser context with no account, as a recipient would have. */
async function recipient(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  return { context, page: await context.newPage() };
}

async function downloadOn(page: Page, button: ReturnType<Page['getByRole']>) {
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 300_000 }),
    button.click(),
  ]);
  expect(await download.failure()).toBeNull();
  return download;
}

describe('share links', () => {
  it('a 200 MB file downloads identical for someone with no account', async () => {
    const url = await share(owner, 'big-video.mkv');
    expect(url).toMatch(/\/s\/[A-Za-z0-9_-]{22}#[A-Za-z0-9_-]{43}$/);
    const { context, page } = await recipient();
    await page.goto(url);
    await page.getByText('big-video.mkv').first().waitFor();
    const download = await downloadOn(page, page.getByRole('button', { name: 'Download' }));
    expect(download.suggestedFilename()).toBe('big-video.mkv');
    expect(await sha256OfFile(await download.path())).toBe(sha256(big.content));
    await context.close();
  });

  it('a folder link shows the tree, downloads one file and all of it as a zip', async () => {
    const url = await share(owner, 'Shared Folder');
    const { context, page } = await recipient();
    await page.goto(url);
    await row(page, 'readme.txt').waitFor();
    await openFolder(page, 'Sub');
    const photo = folderFiles.find((f) => f.relative.endsWith('photo.jpg'))!;
    const one = await downloadOn(
      page,
      row(page, 'photo.jpg').getByRole('button', { name: 'Download' }),
    );
    expect(await sha256OfFile(await one.path())).toBe(sha256(photo.content));

    await page.goto('about:blank');
    await page.goto(url);
    await row(page, 'readme.txt').waitFor();
    const zip = await downloadOn(page, page.getByRole('button', { name: 'Download all' }));
    const out = await mkdtemp(path.join(tmpdir(), 'coffre-zip-'));
    execFileSync('python3', ['-m', 'zipfile', '-e', await zip.path(), out]);
    for (const f of folderFiles) {
      const inside = path.relative('Shared Folder', f.relative);
      const candidates = [path.join(out, inside), path.join(out, 'Shared Folder', inside)];
      const found = await Promise.any(candidates.map((c) => readFile(c)));
      expect(sha256(found), f.relative).toBe(sha256(f.content));
    }
    await context.close();
  });

  it('a password link refuses a wrong password locally and opens with the right one', async () => {
    await openFolder(owner, 'Shared Folder');
    const url = await share(owner, 'readme.txt', { password: 'open sesame 123' });
    const { context, page } = await recipient();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    await page.goto(url);
    await unlock(page, 'not the password');
    await page.getByText('Wrong password').waitFor({ timeout: 30_000 });
    expect(requests.filter((p) => p.includes('/files/'))).toEqual([]);
    await unlock(page, 'open sesame 123');
    const download = await downloadOn(page, page.getByRole('button', { name: 'Download' }));
    expect((await readFile(await download.path())).toString()).toBe('hello from the shared folder');
    await context.close();
  });

  it('a download limit of one lets one download through, then the link is gone', async () => {
    await owner
      .getByRole('navigation', { name: 'Drive' })
      .getByRole('button', { name: 'My files' })
      .click();
    const url = await share(owner, 'big-video.mkv', { downloadLimit: 1 });
    const { context, page } = await recipient();
    await page.goto(url);
    await downloadOn(page, page.getByRole('button', { name: 'Download' }));
    await page.reload();
    await page.getByText(/no longer available/i).waitFor({ timeout: 30_000 });
    await context.close();
  });

  it('expiry takes effect, and revoking answers exactly like an unknown link', async () => {
    const url = await share(owner, 'Shared Folder');
    const linkId = new URL(url).pathname.split('/').pop()!;

    // Revoke from the Shared links view.
    await owner
      .getByRole('navigation', { name: 'Drive' })
      .getByRole('button', { name: 'Shared links' })
      .click();
    const links = owner.getByRole('row').filter({ hasText: 'Shared Folder' });
    await links.first().waitFor();
    const before = await links.count();
    await links.first().getByRole('button', { name: 'Revoke' }).click();
    await owner.getByRole('dialog').getByRole('button', { name: 'Revoke link' }).click();
    await expect.poll(() => links.count()).toBe(before - 1);
    const revoked = await fetch(`${storage.url}/api/v1/links/${linkId}`);
    const unknown = await fetch(`${storage.url}/api/v1/links/${'A'.repeat(22)}`);
    expect(revoked.status).toBe(404);
    expect(await revoked.text()).toBe(await unknown.text());

    // Expiry: a link that expires in a day is gone once the server's clock passes it.
    await owner
      .getByRole('navigation', { name: 'Drive' })
      .getByRole('button', { name: 'My files' })
      .click();
    await row(owner, 'big-video.mkv').getByRole('button', { name: 'Share', exact: true }).click();
    const dialog = owner.getByRole('dialog');
    await dialog.getByLabel('Expires').selectOption({ label: '1 day' });
    await dialog.getByRole('button', { name: 'Create link' }).click();
    const expiring = await dialog.getByLabel('Link', { exact: true }).inputValue();
    await owner.keyboard.press('Escape');
    const { context, page } = await recipient();
    await page.goto(expiring);
    await page.getByRole('button', { name: 'Download' }).waitFor();
    clockOffset = 2 * DAY;
    await page.reload();
    await page.getByText(/no longer available/i).waitFor({ timeout: 30_000 });
    clockOffset = 0;
    await context.close();
  });

  it('refuses malformed fragments before any request, and a wrong key before any chunk', async () => {
    const url = await share(owner, 'big-video.mkv');
    const [base, key] = url.split('#') as [string, string];
    const { context, page } = await recipient();
    const api: string[] = [];
    page.on('request', (r) => {
      const p = new URL(r.url()).pathname;
      if (p.startsWith('/api/')) api.push(p);
    });
    for (const fragment of [
      '',
      '#',
      `#${key.slice(0, 42)}`,
      `#${key}A`,
      `#${key.slice(0, 42)}=`,
      `#${key.slice(0, 41)}+/`,
    ]) {
      await page.goto('about:blank');
      api.length = 0;
      await page.goto(`${base}${fragment}`);
      await page.getByText(/incomplete or damaged/i).waitFor();
      expect(api, `fragment "${fragment}"`).toEqual([]);
    }
    await page.goto('about:blank');
    api.length = 0;
    const wrong = key.startsWith('A') ? `B${key.slice(1)}` : `A${key.slice(1)}`;
    await page.goto(`${base}#${wrong}`);
    await page.getByText(/wrong or damaged link/i).waitFor({ timeout: 30_000 });
    expect(api.filter((p) => p.includes('/files/'))).toEqual([]);
    await context.close();
  });
});
