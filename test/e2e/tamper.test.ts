import type { Browser, Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PASSWORD,
  download,
  row,
  signUp,
  transferOutcome,
  uploadFiles,
  waitUploaded,
} from './app-flows';
import { share } from './link-flows';
import { launchChromium, startStorage, type RunningStorage } from './harness';
import { startTamperProxy, type Tamper, type TamperProxy } from './tamper-proxy';
import { makeFiles } from './test-files';

// A malicious storage server: the page talks to a proxy that rewrites the server's answers.
// Every case must end in the one integrity error, with no file saved.

const MiB = 1024 * 1024;
const FILE_ROUTE = /^\/api\/v1\/files\/([A-Za-z0-9_-]{22})$/;
const CHUNK_ROUTE = /^\/api\/v1\/files\/([A-Za-z0-9_-]{22})\/chunks\/(\d+)$/;
const LINK_FILE_ROUTE = /^\/api\/v1\/links\/[A-Za-z0-9_-]{22}\/files\/[A-Za-z0-9_-]{22}$/;
const LINK_CHUNK_ROUTE =
  /^\/api\/v1\/links\/[A-Za-z0-9_-]{22}\/files\/[A-Za-z0-9_-]{22}\/chunks\/1$/;

let storage: RunningStorage;
let proxy: TamperProxy;
let browser: Browser;
let page: Page;
let decoyId = '';
/** The decoy's file record as the server sent it: a real manifest and key of another file. */
let decoyInfo: { manifest: string; wrappedContentKey: string };

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
  proxy.tamper = async ({ url }, body) => {
    if (!decoyId && FILE_ROUTE.test(url)) {
      decoyId = FILE_ROUTE.exec(url)![1]!;
      decoyInfo = JSON.parse(body.toString('utf8'));
    }
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

  const linkCases: Record<string, Tamper> = {
    'a flipped bit in a chunk served through a share link': async ({ url }, body) => {
      if (!LINK_CHUNK_ROUTE.test(url)) return undefined;
      const copy = Buffer.from(body);
      copy[4321]! ^= 0x04;
      return copy;
    },
    'a share link’s manifest replaced by another file’s': async ({ url }, body) => {
      if (!LINK_FILE_ROUTE.test(url)) return undefined;
      const info = JSON.parse(body.toString('utf8'));
      info.manifest = decoyInfo.manifest;
      return Buffer.from(JSON.stringify(info));
    },
  };
  for (const [name, rule] of Object.entries(linkCases)) {
    it(`${name}: the link page refuses it and saves nothing`, async () => {
      const url = await share(page, 'victim.bin');
      const recipient = await (await browser.newContext()).newPage();
      const saved: Download[] = [];
      recipient.on('download', (d) => saved.push(d));
      proxy.tamper = rule;
      await recipient.goto(url);
      await recipient.getByRole('button', { name: 'Download' }).click();
      await recipient
        .getByText(/integrity check failed/i)
        .first()
        .waitFor({ timeout: 60_000 });
      proxy.tamper = null;
      const failures = await Promise.all(saved.map((d) => d.failure()));
      expect(failures.filter((f) => f === null)).toHaveLength(0);
      await recipient.context().close();
    });
  }

  it('a node the server made up is hidden, and the folder says so', async () => {
    proxy.tamper = async ({ url }, body) => {
      if (!/^\/api\/v1\/nodes\/[A-Za-z0-9_-]{22}\/children$/.test(url)) return undefined;
      const listing = JSON.parse(body.toString('utf8'));
      const real = listing.nodes.find((n: { type: string }) => n.type === 'file');
      const forged = { ...real, id: 'AAAAAAAAAAAAAAAAAAAAAA', createdAt: real.createdAt + 1 };
      listing.nodes.push(forged);
      return Buffer.from(JSON.stringify(listing));
    };
    await page.reload();
    const notice = page.getByRole('alert').filter({ hasText: 'failed the integrity check' });
    await notice.waitFor();
    expect(await notice.innerText()).toMatch(/One item .* is hidden/);
    await row(page, 'victim.bin').waitFor();
    proxy.tamper = null;
    await page.reload();
    await row(page, 'victim.bin').waitFor();
  });

  it('tampered account keys at log-in: refused locally, nothing further sent', async () => {
    const context = await browser.newContext();
    const other = await context.newPage();
    const email = `victim-${Date.now()}@example.org`;
    await signUp(other, proxy.url, email);
    const fresh = await (await browser.newContext()).newPage();
    const sent: string[] = [];
    proxy.record = (req) => sent.push(`${req.method} ${req.url}`);
    // A malicious server's answer to the log-in: one flipped bit in a wrapped private key.
    await fresh.route('**/api/v1/auth/login', async (route) => {
      const response = await route.fetch();
      const answer = await response.json();
      const sk = Buffer.from(answer.account.bundle.wrappedSignSecretKey, 'base64url');
      sk[sk.length - 1]! ^= 0x01;
      answer.account.bundle.wrappedSignSecretKey = sk.toString('base64url');
      await route.fulfill({ response, json: answer });
    });
    await fresh.goto(proxy.url);
    await fresh.getByLabel('Email').fill(email);
    await fresh.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await fresh.getByRole('button', { name: 'Log in' }).click();
    await fresh.getByText(/damaged account keys/i).waitFor({ timeout: 60_000 });
    const afterLogin = sent.slice(sent.indexOf('POST /api/v1/auth/login') + 1);
    expect(afterLogin.filter((r) => r.includes('/api/'))).toEqual([]);
    proxy.record = null;
    await context.close();
    await fresh.context().close();
  });
});
