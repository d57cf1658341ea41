import type { Page } from 'playwright-core';
import { row } from './app-flows';

// The share-link steps a person takes: from a drive row to a link, and on the link page.

export interface ShareOptions {
  password?: string;
  downloadLimit?: number;
}

/** Shares a drive row and returns the full link as the app shows it. */
export async function share(page: Page, name: string, options: ShareOptions = {}) {
  await row(page, name).getByRole('button', { name: 'Share', exact: true }).click();
  const dialog = page.getByRole('dialog');
  if (options.password) await dialog.getByLabel('Password', { exact: true }).fill(options.password);
  if (options.downloadLimit) {
    await dialog.getByLabel('Download limit').fill(String(options.downloadLimit));
  }
  await dialog.getByRole('button', { name: 'Create link' }).click();
  const field = dialog.getByLabel('Link', { exact: true });
  await field.waitFor({ timeout: 60_000 });
  const url = await field.inputValue();
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  return url;
}

export async function unlock(page: Page, password: string) {
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Unlock' }).click();
}
