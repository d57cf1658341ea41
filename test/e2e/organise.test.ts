import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logIn, openFolder, row, signUp, uploadFiles, waitUploaded } from './app-flows';
import { launchChromium, startStorage, type RunningStorage } from './harness';
import { makeFiles } from './test-files';

// Folders, rename, move, delete with undo and the rubbish bin — driven with the keyboard where a
// person would use it — and the result seen again from a second device.

let storage: RunningStorage;
let browser: Browser;
let page: Page;
const email = `grace-${Date.now()}@example.org`;

beforeAll(async () => {
  [storage, browser] = await Promise.all([startStorage(), launchChromium()]);
  page = await (await browser.newContext()).newPage();
  await signUp(page, storage.url, email);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await storage?.close();
});

/** The names listed in the current folder, in display order. */
const names = (p: Page) => p.locator('tbody .col-name .name').allInnerTexts();

async function newFolder(name: string) {
  await page.getByRole('button', { name: 'New folder' }).click();
  await page.getByLabel('Folder name').fill(name);
  await page.keyboard.press('Enter');
  await row(page, name).waitFor();
}

describe('organising the drive', () => {
  it('shows an empty state in a new drive', async () => {
    await page.getByText('This folder is empty').waitFor();
  });

  it('creates folders, renames and moves a file', async () => {
    await newFolder('Projects');
    await newFolder('Archive');
    const { files } = await makeFiles({ 'draft.txt': 'first draft' });
    await uploadFiles(page, [files[0]!.absolute]);
    await waitUploaded(page, ['draft.txt']);
    await row(page, 'draft.txt').waitFor();

    await row(page, 'draft.txt').getByRole('button', { name: 'Rename' }).click();
    const field = page.getByLabel('Name', { exact: true });
    await field.fill('final.txt');
    await page.keyboard.press('Enter');
    await row(page, 'final.txt').waitFor();

    await row(page, 'final.txt').getByRole('button', { name: 'Move' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Projects' }).click();
    await dialog.getByRole('button', { name: 'Move here' }).click();
    await row(page, 'final.txt').waitFor({ state: 'detached' });
    await openFolder(page, 'Projects');
    await row(page, 'final.txt').waitFor();
    expect(await names(page)).toEqual(['final.txt']);
  });

  it('refuses a bad name with a clear message and changes nothing', async () => {
    await page.getByRole('button', { name: 'New folder' }).click();
    await page.getByLabel('Folder name').fill('a/b');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').getByRole('alert').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await names(page)).toEqual(['final.txt']);
  });

  it('deletes to the rubbish bin with undo, and restores from the bin', async () => {
    await page
      .getByRole('navigation', { name: 'Drive' })
      .getByRole('button', { name: 'My files' })
      .click();
    await row(page, 'Archive').waitFor();
    await row(page, 'Archive').getByRole('button', { name: 'Delete' }).click();
    await row(page, 'Archive').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Undo' }).click();
    await row(page, 'Archive').waitFor();

    await row(page, 'Archive').getByRole('button', { name: 'Delete' }).click();
    await row(page, 'Archive').waitFor({ state: 'detached' });
    await page
      .getByRole('navigation', { name: 'Drive' })
      .getByRole('button', { name: 'Rubbish bin' })
      .click();
    const binned = page.getByRole('row').filter({ hasText: 'Archive' });
    await binned.waitFor();
    await binned.getByRole('button', { name: 'Restore' }).click();
    await binned.waitFor({ state: 'detached' });
    await page
      .getByRole('navigation', { name: 'Drive' })
      .getByRole('button', { name: 'My files' })
      .click();
    await row(page, 'Archive').waitFor();
  });

  it('uploads files dropped onto the drive', async () => {
    const dataTransfer = await page.evaluateHandle(() => {
      const transfer = new DataTransfer();
      transfer.items.add(
        new File(['dropped from the desktop'], 'dropped.txt', { type: 'text/plain' }),
      );
      return transfer;
    });
    const target = page.getByRole('main');
    await target.dispatchEvent('dragenter', { dataTransfer });
    await target.dispatchEvent('dragover', { dataTransfer });
    await target.dispatchEvent('drop', { dataTransfer });
    await waitUploaded(page, ['dropped.txt']);
    await row(page, 'dropped.txt').waitFor();
  });

  it('shows the same tree on a second device', async () => {
    const other = await (await browser.newContext()).newPage();
    await logIn(other, storage.url, email);
    await row(other, 'Archive').waitFor();
    expect(await names(other)).toEqual(['Archive', 'Projects', 'dropped.txt']);
    await openFolder(other, 'Projects');
    expect(await names(other)).toEqual(['final.txt']);
    await other.context().close();
  });
});
