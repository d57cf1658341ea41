import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Download, Locator, Page } from 'playwright-core';

// The steps a person takes in the app, driven through accessible names only, so the tests
// exercise the same screens people use.

export const PASSWORD = 'correct horse battery staple 42';

export async function signUp(page: Page, url: string, email: string): Promise<string> {
  await page.goto(url);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  const key = page.getByTestId('recovery-key');
  await key.waitFor({ timeout: 60_000 });
  const recoveryKey = (await key.innerText()).replace(/\s+/g, '');
  await page.getByLabel('I have saved my recovery key').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await driveReady(page);
  return recoveryKey;
}

export async function logIn(page: Page, url: string, email: string, password = PASSWORD) {
  await page.goto(url);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await driveReady(page);
}

export async function driveReady(page: Page) {
  await page.getByRole('group', { name: 'Add to this folder' }).waitFor({ timeout: 60_000 });
}

export async function uploadFiles(page: Page, paths: string[]) {
  await page.getByLabel('Upload files').setInputFiles(paths);
}

export async function uploadFolder(page: Page, dir: string) {
  await page.getByLabel('Upload folder').setInputFiles(dir);
}

function transferItem(page: Page, kind: 'Upload' | 'Download', name: string): Locator {
  return page
    .locator('li')
    .filter({ has: page.getByRole('progressbar', { name: `${kind} of ${name}`, exact: true }) })
    .last();
}

/** Waits until the named transfer ends; returns its final state and the text shown for it. */
export async function transferOutcome(
  page: Page,
  kind: 'Upload' | 'Download',
  name: string,
  timeout = 300_000,
): Promise<{ state: string; detail: string }> {
  const item = transferItem(page, kind, name);
  await item.waitFor({ timeout });
  const handle = await item.elementHandle();
  await page.waitForFunction(
    (li) => /state-(done|failed|cancelled)/.test(li?.className ?? ''),
    handle,
    { timeout, polling: 250 },
  );
  const className = (await item.getAttribute('class')) ?? '';
  return {
    state: /state-(\w+)/.exec(className)?.[1] ?? 'unknown',
    detail: await item.innerText(),
  };
}

export async function waitUploaded(page: Page, names: string[]) {
  for (const name of names) {
    const outcome = await transferOutcome(page, 'Upload', name);
    if (outcome.state !== 'done') throw new Error(`upload of ${name}: ${outcome.detail}`);
  }
}

export function row(page: Page, name: string): Locator {
  return page.getByRole('row').filter({ has: page.getByRole('button', { name, exact: true }) });
}

export async function openFolder(page: Page, name: string) {
  await row(page, name).getByRole('button', { name, exact: true }).click();
  await page.getByRole('navigation', { name: 'Folder path' }).getByText(name).waitFor();
}

/**
 * Presses Download on a file row from the keyboard (the open transfers panel may cover the row's
 * buttons for a mouse) and waits for the browser's download to finish.
 */
export async function download(page: Page, name: string): Promise<Download> {
  await row(page, name).getByRole('button', { name: 'Download' }).focus();
  const [started] = await Promise.all([
    page.waitForEvent('download', { timeout: 300_000 }),
    page.keyboard.press('Enter'),
  ]);
  return started;
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const part of createReadStream(path)) hash.update(part as Buffer);
  return hash.digest('hex');
}
