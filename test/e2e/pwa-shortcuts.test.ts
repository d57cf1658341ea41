import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { row, signUp, waitUploaded } from './app-flows';
import { launchChromium, startStorage, type RunningStorage } from './harness';
import { makeFiles } from './test-files';

// The manifest's shortcuts are start URLs with a query the app reads once the account is open.

let storage: RunningStorage;
let browser: Browser;

beforeAll(async () => {
  [storage, browser] = await Promise.all([startStorage(), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await storage?.close();
});

async function shortcutUrls(): Promise<Record<string, string>> {
  const manifest = await (await fetch(`${storage.url}/manifest.webmanifest`)).json();
  const shortcuts = manifest.shortcuts as Array<{ name: string; url: string }>;
  return Object.fromEntries(shortcuts.map((s) => [s.name, new URL(s.url, storage.url).href]));
}

describe('app shortcuts', () => {
  it('"Shared links" opens that view and "Upload files" offers a picker into My files', async () => {
    const urls = await shortcutUrls();
    const context = await browser.newContext();
    const page = await context.newPage();
    await signUp(page, storage.url, `shortcuts-${Date.now()}@example.org`);

    await page.goto(urls['Shared links']!);
    await page
      .getByRole('heading', { name: 'Shared links', level: 1 })
      .waitFor({ timeout: 60_000 });
    // Read once: the query is gone, so a reload opens the drive as usual.
    expect(new URL(page.url()).search).toBe('');

    await page.goto(urls['Upload files']!);
    const dialog = page.getByRole('dialog', { name: 'Upload files' });
    await dialog.waitFor({ timeout: 60_000 });
    const { files } = await makeFiles({ 'from the shortcut.txt': 'picked after a shortcut\n' });
    await dialog.getByLabel('Choose files').setInputFiles(files[0]!.absolute);
    await dialog.waitFor({ state: 'hidden' });
    await waitUploaded(page, ['from the shortcut.txt']);
    await row(page, 'from the shortcut.txt').waitFor();
    await context.close();
  });
});
