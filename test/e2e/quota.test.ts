import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanCatalog } from '@coffre/core/protocol';
import { createHash } from 'node:crypto';
import type { Download } from 'playwright-core';
import {
  download,
  row,
  sha256OfFile,
  signUp,
  transferOutcome,
  uploadFiles,
  waitUploaded,
} from './app-flows';
import { launchChromium, startStorage, type RunningStorage } from './harness';
import { makeFiles } from './test-files';

// Plans as a person meets them: a Free account close to its limit is warned, an upload that
// would not fit is refused before a single chunk leaves the browser, and an operator's upgrade
// with the admin command shows in the open app without a reload.

const MB = 1_000_000;
const plans: PlanCatalog = {
  default: 'free',
  plans: [
    { id: 'free', name: 'Free', storageQuota: 12 * MB, transferQuota: 20 * MB },
    { id: 'pro-i', name: 'Pro I', storageQuota: 100 * MB, transferQuota: 2000 * MB },
  ],
};

let storage: RunningStorage;
let browser: Browser;
let page: Page;
let plansFile = '';
let almostAll: Buffer;
let paused: Download;
const email = `nearly-full-${Date.now()}@example.org`;

beforeAll(async () => {
  [storage, browser] = await Promise.all([startStorage({ plans }), launchChromium()]);
  plansFile = path.join(storage.dataDir, 'plans.json');
  await writeFile(plansFile, JSON.stringify(plans));
  page = await (await browser.newContext()).newPage();
  await signUp(page, storage.url, email);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await storage?.close();
});

const storageMeter = () => page.getByRole('meter', { name: 'Storage used' });

describe('plans and quotas in the app', () => {
  it('warns a Free account that is almost full', async () => {
    const { files } = await makeFiles({ 'almost-all.bin': 11 * MB });
    almostAll = files[0]!.content;
    await uploadFiles(page, [files[0]!.absolute]);
    await waitUploaded(page, ['almost-all.bin']);
    await page
      .getByText(/almost full/i)
      .first()
      .waitFor({ timeout: 30_000 });
    expect(Number(await storageMeter().getAttribute('value'))).toBeGreaterThan(0.9 * 12 * MB);
  });

  it('refuses an upload over the quota before any chunk is sent, naming the figures', async () => {
    const chunkPuts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PUT' && r.url().includes('/chunks/')) chunkPuts.push(r.url());
    });
    const { files } = await makeFiles({ 'one-too-many.bin': 5 * MB });
    await uploadFiles(page, [files[0]!.absolute]);
    const outcome = await transferOutcome(page, 'Upload', 'one-too-many.bin', 60_000);
    expect(outcome.state).toBe('failed');
    expect(outcome.detail).toMatch(/not enough storage/i);
    expect(outcome.detail).toMatch(/\d(\.\d+)? ?MB/);
    expect(outcome.detail).toMatch(/12 ?MB/);
    expect(chunkPuts).toEqual([]);
    await expect(row(page, 'one-too-many.bin').count()).resolves.toBe(0);
  });

  it('pauses a download at a chunk boundary when the monthly transfer runs out', async () => {
    const first = await download(page, 'almost-all.bin');
    expect(await first.failure()).toBeNull();
    // 11 MB of the 20 MB month are used: the second download stops before its third chunk.
    const clear = page.getByRole('button', { name: 'Clear finished' });
    if (await clear.isVisible()) await clear.click();
    paused = await download(page, 'almost-all.bin');
    const item = page.locator('li.state-paused');
    await item.waitFor({ timeout: 60_000 });
    expect(await item.innerText()).toMatch(/transfer/i);
    expect(await item.innerText()).toMatch(/resets/i);
    await item.getByRole('button', { name: 'Resume' }).waitFor();
  });

  it('shows an operator’s upgrade at once, without a reload, and the upload then fits', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'storage-server/src/admin.ts', 'plan', 'set', email, 'pro-i'],
      { env: { ...process.env, COFFRE_DATA_DIR: storage.dataDir, COFFRE_PLANS_FILE: plansFile } },
    );
    expect(stdout).toMatch(/pro-i|Pro I/);
    // No reload: the open app picks the new plan up by itself.
    await page.getByText('Pro I').first().waitFor({ timeout: 45_000 });
    await expect.poll(async () => Number(await storageMeter().getAttribute('max'))).toBe(100 * MB);
    await expect(page.getByText(/almost full/i).count()).resolves.toBe(0);

    // The paused download resumes where it stopped and completes identical.
    await page.locator('li.state-paused').getByRole('button', { name: 'Resume' }).click();
    expect(await paused.failure()).toBeNull();
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(await sha256OfFile(await paused.path())).toBe(sha(almostAll));

    const { files } = await makeFiles({ 'fits-now.bin': 5 * MB });
    await uploadFiles(page, [files[0]!.absolute]);
    await waitUploaded(page, ['fits-now.bin']);
  });
});
