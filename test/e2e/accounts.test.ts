import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, driveReady, logIn, row, signUp, uploadFiles, waitUploaded } from './app-flows';
import { launchChromium, startStorage, type RunningStorage } from './harness';
import { makeFiles } from './test-files';

// Accounts as a person lives them: a wrong password, logging out, forgetting the password and
// coming back with the recovery key, changing the password while another device is signed in.

let storage: RunningStorage;
let browser: Browser;
let page: Page;
let recoveryKey = '';
const email = `linus-${Date.now()}@example.org`;
const NEW_PASSWORD = 'a brand new passphrase 2026';

beforeAll(async () => {
  [storage, browser] = await Promise.all([startStorage(), launchChromium()]);
  page = await (await browser.newContext()).newPage();
  recoveryKey = await signUp(page, storage.url, email);
  const { files } = await makeFiles({ 'keep-me.txt': 'still here after recovery' });
  await uploadFiles(page, [files[0]!.absolute]);
  await waitUploaded(page, ['keep-me.txt']);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await storage?.close();
});

async function logOut(p: Page) {
  await p.getByRole('button', { name: /Account menu for/ }).click();
  await p.getByRole('button', { name: 'Log out' }).click();
  await p.getByRole('button', { name: 'Log in' }).waitFor();
}

async function expectLoginRefused(p: Page, password: string) {
  await p.getByLabel('Email').fill(email);
  await p.getByLabel('Password', { exact: true }).fill(password);
  await p.getByRole('button', { name: 'Log in' }).click();
  const alert = p.getByRole('alert');
  await alert.waitFor({ timeout: 30_000 });
  expect(await alert.innerText()).toMatch(/wrong email or password/i);
}

describe('accounts', () => {
  it('keeps the session across a reload, and log out forgets it', async () => {
    await page.reload();
    await driveReady(page);
    await logOut(page);
    await page.reload();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
  });

  it('refuses a wrong password with one clear message', async () => {
    await expectLoginRefused(page, 'not the password at all');
  });

  it('recovers the account with the recovery key and a new password', async () => {
    await page.reload();
    await page.getByRole('button', { name: 'Use your recovery key' }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Recovery key').fill(recoveryKey);
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Confirm new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Recover account' }).click();
    await driveReady(page);
    await row(page, 'keep-me.txt').waitFor();

    await logOut(page);
    await expectLoginRefused(page, PASSWORD);
    await logIn(page, storage.url, email, NEW_PASSWORD);
    await row(page, 'keep-me.txt').waitFor();
  });

  it('ends other sessions when the password changes', async () => {
    const other = await (await browser.newContext()).newPage();
    await logIn(other, storage.url, email, NEW_PASSWORD);

    await page.getByRole('button', { name: /Account menu for/ }).click();
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByLabel('Current password').fill(NEW_PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Confirm new password').fill(PASSWORD);
    await page.getByRole('dialog').getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached', timeout: 30_000 });

    // This device stays in; the other one is sent back to the log-in screen on its next request.
    await page.reload();
    await row(page, 'keep-me.txt').waitFor();
    await other.reload();
    await other.getByRole('button', { name: 'Log in' }).waitFor({ timeout: 30_000 });
    await other.context().close();
  });

  it('tells whoever signs up with an email that has an account, and leaves that account be', async () => {
    const other = await (await browser.newContext()).newPage();
    await other.goto(storage.url);
    await other.getByRole('button', { name: 'Sign up' }).click();
    // Another spelling of the same address: upper case, and a fullwidth @.
    await other.getByLabel('Email').fill(email.toUpperCase().replace('@', '\uff20'));
    await other.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
    await other.getByLabel('Confirm password').fill(NEW_PASSWORD);
    await other.getByRole('button', { name: 'Create account' }).click();
    const alert = other.getByRole('alert');
    await alert.waitFor({ timeout: 60_000 });
    expect(await alert.innerText()).toMatch(/this email may already have one\. Log in/i);
    await expect(other.getByTestId('recovery-key').count()).resolves.toBe(0);

    await logIn(other, storage.url, email, PASSWORD);
    await row(other, 'keep-me.txt').waitFor();
    await other.context().close();
  });

  it('refuses a look-alike or invisible address before it sends anything', async () => {
    const other = await (await browser.newContext()).newPage();
    const sent: string[] = [];
    other.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/api/v1/auth/')) sent.push(request.url());
    });
    await other.goto(storage.url);
    const attempts = [
      // A Cyrillic а (U+0430) among Latin letters.
      { mode: 'Sign up', address: '\u0430lice@example.org', words: /mixes alphabets/ },
      { mode: 'Sign up', address: 'ali\u200bce@example.org', words: /invisible character/ },
      { mode: null, address: 'b\u03bfb@example.org', words: /mixes alphabets/ },
    ];
    for (const { mode, address, words } of attempts) {
      await other.reload();
      if (mode) await other.getByRole('button', { name: mode }).click();
      await other.getByLabel('Email').fill(address);
      await other.getByLabel('Password', { exact: true }).fill(PASSWORD);
      if (mode) await other.getByLabel('Confirm password').fill(PASSWORD);
      await other.getByRole('button', { name: mode ? 'Create account' : 'Log in' }).click();
      const alert = other.getByRole('alert');
      await alert.waitFor({ timeout: 30_000 });
      expect(await alert.innerText()).toMatch(words);
    }
    expect(sent).toEqual([]);
    await other.context().close();
  });
});
