import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  download,
  logIn,
  openFolder,
  row,
  sha256OfFile,
  signUp,
  uploadFiles,
  uploadFolder,
  waitUploaded,
} from './app-flows';
import { launchChromium, startStorage, type RunningStorage } from './harness';
import { makeFiles, type TestFile } from './test-files';

const MiB = 1024 * 1024;
// A marker that must never reach the server in the clear.
const MARKER = 'COFFRE-PLAINTEXT-MARKER-7f3a91';

let storage: RunningStorage;
let browser: Browser;
let loose: TestFile[];
let folderRoot: string;
let folderFiles: TestFile[];

beforeAll(async () => {
  [storage, browser] = await Promise.all([startStorage(), launchChromium()]);
  ({ files: loose } = await makeFiles({
    'holiday-video.mp4': 50 * MiB + 12_345,
    'Quarterly report ü.pdf': 700_000,
    'notes.txt': `${MARKER}\n`.repeat(2000),
  }));
  const folder = await makeFiles({
    'Family Photos/beach.jpg': 2 * MiB + 77,
    'Family Photos/Alpine Summit/mountain.jpg': 5 * MiB,
    'Family Photos/Alpine Summit/list.txt': `${MARKER} packing list\n`,
  });
  folderRoot = path.join(folder.root, 'Family Photos');
  folderFiles = folder.files;
});

afterAll(async () => {
  await browser?.close();
  await storage?.close();
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function expectDownloadMatches(page: Page, file: TestFile) {
  const saved = await download(page, path.basename(file.relative));
  expect(await saved.failure()).toBeNull();
  const savedPath = await saved.path();
  expect(await sha256OfFile(savedPath)).toBe(sha256(file.content));
  expect(saved.suggestedFilename()).toBe(path.basename(file.relative));
}

/**
 * With the transfers panel open over the bottom right corner, every row's Download button can
 * still be brought clear of it and clicked with the mouse (a trial click: the same scrolling and
 * hit test as a click, without downloading).
 */
async function expectRowsClearOfTransfers(page: Page, files: TestFile[]) {
  await page.getByRole('button', { name: 'Close transfers' }).waitFor();
  for (const file of files) {
    const name = path.basename(file.relative);
    await row(page, name).getByRole('button', { name: 'Download' }).click({ trial: true });
  }
}

describe('the encrypted drive, end to end', () => {
  it('uploads files and a folder on one device and downloads them identical on another', async () => {
    const email = `ada-${Date.now()}@example.org`;

    // Device one: sign up, upload three files and a folder tree, reload.
    const first = await browser.newContext();
    const page = await first.newPage();
    await signUp(page, storage.url, email);
    await uploadFiles(
      page,
      loose.map((f) => f.absolute),
    );
    await uploadFolder(page, folderRoot);
    await waitUploaded(
      page,
      [...loose, ...folderFiles].map((f) => path.basename(f.relative)),
    );
    await expectRowsClearOfTransfers(page, loose);
    await page.reload();
    for (const f of loose) await row(page, path.basename(f.relative)).waitFor();
    await row(page, 'Family Photos').waitFor();
    await first.close();

    // Device two: a separate browser context logs in and sees the same drive.
    const second = await browser.newContext();
    const other = await second.newPage();
    await logIn(other, storage.url, email);
    for (const f of loose) await expectDownloadMatches(other, f);
    await openFolder(other, 'Family Photos');
    await expectDownloadMatches(other, folderFiles[0]!);
    await openFolder(other, 'Alpine Summit');
    await expectDownloadMatches(other, folderFiles[1]!);
    await expectDownloadMatches(other, folderFiles[2]!);
    await second.close();
  });

  it('leaves no plaintext byte and no file name in the server’s data directory', async () => {
    const needles: Buffer[] = [
      MARKER,
      ...[...loose, ...folderFiles].flatMap((f) => path.basename(f.relative).split('/')),
      'Family Photos',
      'Alpine Summit',
    ].map((text) => Buffer.from(text, 'utf8'));
    // Windows of real file content at the start, middle and end of each random file.
    for (const f of [...loose, ...folderFiles]) {
      if (f.content.length < 64) continue;
      for (const at of [0, f.content.length >> 1, f.content.length - 32]) {
        needles.push(f.content.subarray(at, at + 32));
      }
    }
    const stored = await listFiles(storage.dataDir);
    expect(stored.length).toBeGreaterThan(5);
    let scanned = 0;
    for (const file of stored) {
      const bytes = await readFile(file);
      scanned += bytes.length;
      for (const needle of needles) {
        expect(bytes.includes(needle), `${needle.toString('utf8')} found in ${file}`).toBe(false);
      }
    }
    // The upload is all there, as ciphertext: at least as many bytes as the plaintext.
    const plain = [...loose, ...folderFiles].reduce((sum, f) => sum + f.content.length, 0);
    expect(scanned).toBeGreaterThan(plain);
  });
});

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}
