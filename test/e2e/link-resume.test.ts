import { createHash } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256OfFile, signUp, uploadFiles, waitUploaded } from './app-flows';
import { startCutProxy, type CutProxy } from './cut-proxy';
import { launchChromium, startStorage, type RunningStorage } from './harness';
import { share } from './link-flows';
import { makeFiles, type TestFile } from './test-files';

// A link download whose connection drops in the middle of a chunk carries on from that chunk. A
// grant serves each chunk once (protocol.md, link downloads): the cut chunk comes again under the
// same grant when the server saw the cut, and under one new grant when its last byte had already
// left the server.

const MiB = 1024 * 1024;
const CHUNK_1 = /^\/api\/v1\/links\/[A-Za-z0-9_-]{22}\/files\/[A-Za-z0-9_-]{22}\/chunks\/1$/;
const CHUNK_2 = /^\/api\/v1\/links\/[A-Za-z0-9_-]{22}\/files\/[A-Za-z0-9_-]{22}\/chunks\/2$/;

let storage: RunningStorage;
let proxy: CutProxy;
let browser: Browser;
let owner: Page;
let file: TestFile;

beforeAll(async () => {
  [storage, browser] = await Promise.all([startStorage(), launchChromium()]);
  proxy = await startCutProxy(storage.url);
  file = (await makeFiles({ 'cut-short.bin': 12 * MiB + 777 })).files[0]!;
  owner = await (await browser.newContext()).newPage();
  await signUp(owner, storage.url, `owner-${Date.now()}@example.org`);
  await uploadFiles(owner, [file.absolute]);
  await waitUploaded(owner, ['cut-short.bin']);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await storage?.close();
});

/** Opens the link through the proxy in a fresh context and downloads the file; its SHA-256. */
async function downloadThroughProxy(url: string): Promise<string> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url.replace(storage.url, proxy.url));
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 300_000 }),
      page.getByRole('button', { name: 'Download' }).click(),
    ]);
    expect(await download.failure()).toBeNull();
    return await sha256OfFile(await download.path());
  } finally {
    await context.close();
  }
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('a link download cut in the middle of a chunk', () => {
  it('asks for that chunk again under its grant, and counts no second download', async () => {
    const url = await share(owner, 'cut-short.bin', { downloadLimit: 1 });
    proxy.counted = 0;
    proxy.next = { path: CHUNK_2, serverSees: true };
    expect(await downloadThroughProxy(url)).toBe(sha256(file.content));
    expect(proxy.cuts).toBe(1);
    expect(proxy.counted).toBe(1);
  });

  it('whose last byte had left the server: takes one new grant, counted, and finishes', async () => {
    const url = await share(owner, 'cut-short.bin');
    proxy.counted = 0;
    proxy.next = { path: CHUNK_1, serverSees: false };
    expect(await downloadThroughProxy(url)).toBe(sha256(file.content));
    expect(proxy.cuts).toBe(2);
    expect(proxy.counted).toBe(2);
  });
});
