import type { Browser, Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download, row, signUp, transferOutcome, uploadFiles, waitUploaded } from './app-flows';
import { launchChromium, startStorage, type RunningStorage } from './harness';
import { startTamperProxy, type Tamper, type TamperProxy } from './tamper-proxy';
import { makeFiles } from './test-files';

// A malicious storage server: the page talks to a proxy that rewrites the server's answers.
// Every case must end in the one integrity error, with no file saved.

const MiB = 1024 * 1024;
const FILE_ROUTE = /^\/api\/v1\/files\/([A-Za-z0-9_-]{22})$/;
const CHUNK_ROUTE = /^\/api\/v1\/files\/([A-Za-z0-9_-]{22})\/chunks\/(\d+)$/;

let storage: RunningStorage;
let proxy: TamperProxy;
let browser: Browser;
let page: Page;
let decoyId = '';

beforeAll(async () => {
  [storage, browser] = await Promise.all([startStorage(), launchChromium()]);
  proxy = await startTamperProxy(storage.url);
  const { files } = await makeFiles({ 'victim.bin': 9 * MiB + 1000, 'decoy.bin': 9 * MiB + 2000 });
  page = await (await browser.newContext()).newPage();
  await signUp(page, proxy.url, `mallory-target-${Date.now()}@example.org`);
  await uploadFiles(
    page,
    files.map((f) => f.absolute),
  );
  await waitUploaded(page, ['victim.bin', 'decoy.bin']);

  // One honest download of the decoy teaches the proxy its id (and shows the path works).
  proxy.tamper = async ({ url }) => {
    decoyId ||= FILE_ROUTE.exec(url)?.[1] ?? '';
    return undefined;
  };
  const honest = await download(page, 'decoy.bin');
  expect(await honest.failure()).toBeNull();
  expect(decoyId).not.toBe('');
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await storage?.close();
});

/** Applies `rule` to the victim's requests only, downloads the victim, and reports what happened. */
async function downloadVictimThrough(rule: Tamper) {
  proxy.tamper = async (req, body, upstream) => {
    const id = FILE_ROUTE.exec(req.url)?.[1] ?? CHUNK_ROUTE.exec(req.url)?.[1];
    return id && id !== decoyId ? rule(req, body, upstream) : undefined;
  };
  const clear = page.getByRole('button', { name: 'Clear finished' });
  if (await clear.isVisible()) await clear.click();

  const saved: Download[] = [];
  const onDownload = (d: Download) => saved.push(d);
  page.on('download', onDownload);
  await row(page, 'victim.bin').getByRole('button', { name: 'Download' }).click();
  const outcome = await transferOutcome(page, 'Download', 'victim.bin', 60_000);
  page.off('download', onDownload);
  proxy.tamper = null;
  const failures = await Promise.all(saved.map((d) => d.failure()));
  return { outcome, savedFiles: failures.filter((f) => f === null).length };
}

const chunkIndex = (url: string) => Number(CHUNK_ROUTE.exec(url)?.[2] ?? -1);

const cases: Record<string, Tamper> = {
  'a flipped bit in a chunk': async ({ url }, body) => {
    if (chunkIndex(url) !== 1) return undefined;
    const copy = Buffer.from(body);
    copy[1234]! ^= 0x01;
    return copy;
  },
  'a flipped bit in the first chunk': async ({ url }, body) => {
    if (chunkIndex(url) !== 0) return undefined;
    const copy = Buffer.from(body);
    copy[copy.length - 1]! ^= 0x80;
    return copy;
  },
  'two chunks swapped': async ({ url }, _body, upstream) => {
    const index = chunkIndex(url);
    if (index !== 1 && index !== 2) return undefined;
    return upstream(url.replace(/\d+$/, String(3 - index)), {});
  },
  'the last chunk dropped': async ({ url }, body) => {
    if (!FILE_ROUTE.test(url)) return undefined;
    const info = JSON.parse(body.toString('utf8'));
    info.chunks.pop();
    return Buffer.from(JSON.stringify(info));
  },
  'a chunk truncated': async ({ url }, body) => {
    if (chunkIndex(url) !== 2) return undefined;
    return body.subarray(0, body.length - 100);
  },
  'the wrapped file key replaced by another file’s': async ({ url }, body, upstream) => {
    if (!FILE_ROUTE.test(url)) return undefined;
    const info = JSON.parse(body.toString('utf8'));
    const decoy = JSON.parse((await upstream(`/api/v1/files/${decoyId}`, {})).toString('utf8'));
    info.wrappedContentKey = decoy.wrappedContentKey;
    return Buffer.from(JSON.stringify(info));
  },
  'the manifest replaced by another file’s': async ({ url }, body, upstream) => {
    if (!FILE_ROUTE.test(url)) return undefined;
    const info = JSON.parse(body.toString('utf8'));
    const decoy = JSON.parse((await upstream(`/api/v1/files/${decoyId}`, {})).toString('utf8'));
    info.manifest = decoy.manifest;
    return Buffer.from(JSON.stringify(info));
  },
};

describe('a tampering storage server', () => {
  for (const [name, rule] of Object.entries(cases)) {
    it(`${name}: integrity error, nothing saved`, async () => {
      const { outcome, savedFiles } = await downloadVictimThrough(rule);
      expect(outcome.state).toBe('failed');
      expect(outcome.detail.toLowerCase()).toContain('integrity check failed');
      expect(savedFiles).toBe(0);
    });
  }

  it('still downloads the untouched file afterwards', async () => {
    const { outcome, savedFiles } = await downloadVictimThrough(async () => undefined);
    expect(outcome.state).toBe('done');
    expect(savedFiles).toBe(1);
  });
});
