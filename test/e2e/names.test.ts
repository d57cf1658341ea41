import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFolder, row, signUp, uploadFiles, uploadFolder, waitUploaded } from './app-flows';
import { launchChromium, startStorage, type RunningStorage } from './harness';
import { share } from './link-flows';
import { makeFiles } from './test-files';

// Names that lie (format.md §6.1): a name is stored as its uploader typed it, and shown and saved
// with every character that reorders or hides text written as its code point: in the drive, on a
// shared folder's page and a shared file's, in the page title, in a zip and in a saved file's name.

const FOLDER = 'Evil\u202Eredlof';
const SHOWN_FOLDER = 'Evil[U+202E]redlof';
/** Each name as uploaded, and as it must read. */
const NAMES: [string, string][] = [
  ['invoice\u202Etxt.exe', 'invoice[U+202E]txt.exe'],
  ['report\u202Bfdp\u202C.pdf', 'report[U+202B]fdp[U+202C].pdf'],
  ['left\u202Aright\u202D.txt', 'left[U+202A]right[U+202D].txt'],
  ['photo\u2067gnp\u2069.jpg', 'photo[U+2067]gnp[U+2069].jpg'],
  ['iso\u2066late\u2068d.txt', 'iso[U+2066]late[U+2068]d.txt'],
  ['mark\u200F\u200E\u061C.txt', 'mark[U+200F][U+200E][U+061C].txt'],
  ['pay\u200Bpal\u200C\u200D.txt', 'pay[U+200B]pal[U+200C][U+200D].txt'],
  ['word\u2060joiner\uFEFF.txt', 'word[U+2060]joiner[U+FEFF].txt'],
];
/** A right-to-left name hides nothing: it is shown as it is, isolated from the words around it. */
const HEBREW = 'שלום.txt';
const SINGLE = 'invoice\u202Etxt.exe';
const SHOWN_SINGLE = 'invoice[U+202E]txt.exe';

/** Every character the list neutralises that a test name above uses, raw. */
const RAW = /[\u202A-\u202E\u2066-\u2069\u200B-\u200F\u061C\u2060\uFEFF]/;
const FSI = '\u2068';
const PDI = '\u2069';

let storage: RunningStorage;
let browser: Browser;
let owner: Page;

beforeAll(async () => {
  [storage, browser] = await Promise.all([startStorage(), launchChromium()]);
  const spec: Record<string, string> = { [SINGLE]: 'the single file' };
  for (const [name] of NAMES) spec[`${FOLDER}/${name}`] = `content of ${name}`;
  spec[`${FOLDER}/${HEBREW}`] = 'shalom';
  const { root, files } = await makeFiles(spec);
  owner = await (await browser.newContext()).newPage();
  await signUp(owner, storage.url, `names-${Date.now()}@example.org`);
  await uploadFiles(owner, [files[0]!.absolute]);
  await uploadFolder(owner, path.join(root, FOLDER));
  await waitUploaded(owner, [SHOWN_SINGLE, ...NAMES.map(([, shown]) => shown), HEBREW]);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await storage?.close();
});

/** The text of the page's listing, raw characters and all. */
const listingText = (page: Page) => page.locator('table').first().innerText();

/** Each name as its row shows it, from the isolating element that holds it. */
async function shownNames(page: Page): Promise<string[]> {
  return page.locator('tbody .name bdi').allTextContents();
}

async function saved(page: Page, click: () => Promise<void>) {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  expect(await download.failure()).toBeNull();
  return download;
}

describe('names that lie', () => {
  it('the drive shows every name with its hidden characters as code points', async () => {
    await row(owner, SHOWN_SINGLE).waitFor();
    expect(await shownNames(owner)).toEqual(expect.arrayContaining([SHOWN_FOLDER, SHOWN_SINGLE]));
    await openFolder(owner, SHOWN_FOLDER);
    for (const [, shown] of NAMES) await row(owner, shown).waitFor();
    expect((await shownNames(owner)).sort()).toEqual(
      [...NAMES.map(([, shown]) => shown), HEBREW].sort(),
    );
    expect(await listingText(owner)).not.toMatch(RAW);
    expect(await owner.title()).toBe(`${FSI}${SHOWN_FOLDER}${PDI} — Coffre`);
    const heading = owner.getByRole('navigation', { name: 'Folder path' }).locator('h1 bdi');
    expect(await heading.textContent()).toBe(SHOWN_FOLDER);
  });

  it('a folder link page, its title and its zip show the same', async () => {
    await owner.getByRole('button', { name: 'My files' }).first().click();
    const url = await share(owner, SHOWN_FOLDER);
    const page = await (await browser.newContext()).newPage();
    await page.goto(url);
    for (const [, shown] of NAMES) await row(page, shown).waitFor();
    await row(page, HEBREW).waitFor();
    expect(await listingText(page)).not.toMatch(RAW);
    expect(await page.title()).toBe(`${FSI}${SHOWN_FOLDER}${PDI} — Coffre`);
    const heading = page.getByRole('navigation', { name: 'Folder path' }).locator('h1 bdi');
    expect(await heading.textContent()).toBe(SHOWN_FOLDER);

    const zip = await saved(page, () => page.getByRole('button', { name: 'Download all' }).click());
    expect(zip.suggestedFilename()).toBe(`${SHOWN_FOLDER}.zip`);
    const entries = JSON.parse(
      execFileSync('python3', [
        '-c',
        'import json, sys, zipfile; print(json.dumps(zipfile.ZipFile(sys.argv[1]).namelist()))',
        await zip.path(),
      ]).toString('utf8'),
    ) as string[];
    expect(entries.sort()).toEqual([...NAMES.map(([, shown]) => shown), HEBREW].sort());
    await page.context().close();
  });

  it('a file link page’s heading, its title and the saved file show the same', async () => {
    const url = await share(owner, SHOWN_SINGLE);
    const page = await (await browser.newContext()).newPage();
    await page.goto(url);
    const heading = page.getByRole('heading', { level: 1 });
    await heading.waitFor();
    expect(await heading.textContent()).toBe(SHOWN_SINGLE);
    expect(await heading.locator('bdi').count()).toBe(1);
    expect(await page.title()).toBe(`${FSI}${SHOWN_SINGLE}${PDI} — Coffre`);
    const file = await saved(page, () => page.getByRole('button', { name: 'Download' }).click());
    expect(file.suggestedFilename()).toBe(SHOWN_SINGLE);
    await page.context().close();
  });
});
