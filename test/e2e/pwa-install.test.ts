import { appendFile, cp, mkdtemp, rm } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { row, signUp, uploadFiles } from './app-flows';
import { chromiumPath } from './chromium-path';
import { CHROMIUM_ARGS, startStorage, type RunningStorage } from './harness';
import { makeFiles } from './test-files';

// The built app as the storage server serves it, installed the way Chromium checks it. The server
// serves a copy of dist/client, so a test can publish a "new version" by changing its sw.js.

interface ManifestIcon {
  src: string;
  sizes: string;
  type: string;
  purpose?: string;
}

let storage: RunningStorage;
let clientDir: string;
const profiles: string[] = [];

beforeAll(async () => {
  clientDir = await mkdtemp(path.join(tmpdir(), 'coffre-pwa-client-'));
  await cp(path.resolve('dist/client'), clientDir, { recursive: true });
  storage = await startStorage({ clientDir });
});

afterAll(async () => {
  await storage?.close();
  for (const dir of [clientDir, ...profiles])
    if (dir) await rm(dir, { recursive: true, force: true });
});

/** Chromium refuses to install from an incognito-like context, so each test gets a real profile. */
async function launchProfile(): Promise<BrowserContext> {
  const profile = await mkdtemp(path.join(tmpdir(), 'coffre-pwa-profile-'));
  profiles.push(profile);
  return chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** Width and height from a PNG's IHDR chunk, which always comes first. */
function pngSize(bytes: Buffer): string {
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return `${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`;
}

/**
 * A loopback proxy to the storage server that holds upload chunks until `release`, so a transfer
 * is surely running. (Holding them with Playwright's request routing instead keeps the service
 * worker busy in Chromium, which then never activates a waiting version.)
 */
async function startChunkGate(upstream: string) {
  const target = new URL(upstream);
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let held = 0;
  const server = createServer(async (req, res) => {
    if (req.method === 'PUT' && /^\/api\/v1\/uploads\/[^/]+\/chunks\//.test(req.url ?? '')) {
      held++;
      await released;
    }
    const forwarded = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.writeHead(502).end());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: () => held,
    release,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Publishes a new version: any byte change to sw.js makes the browser install it. */
async function publishNewVersion(label: string) {
  await appendFile(path.join(clientDir, 'sw.js'), `\n// ${label}\n`);
}

async function controlled(page: Page): Promise<boolean> {
  return page.evaluate(() => navigator.serviceWorker.controller !== null);
}

/** Asks the browser to look for a new service worker now instead of at its next navigation. */
async function checkForUpdate(page: Page) {
  await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    await registration?.update();
  });
}

async function waitingWorker(page: Page): Promise<boolean> {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    return registration?.waiting != null;
  });
}

/** Marks the current document, so a reload (a new document) is seen as the mark's absence. */
async function markDocument(page: Page) {
  await page.evaluate(() => document.documentElement.setAttribute('data-test-mark', ''));
}

async function documentMarked(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.hasAttribute('data-test-mark'));
}

async function openInstalled(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(storage.url);
  await page.getByRole('heading', { name: 'Log in to your drive' }).waitFor();
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  return page;
}

describe('the installable app', () => {
  it('serves a complete manifest whose icons and screenshots load at their declared sizes', async () => {
    const html = await (await fetch(storage.url)).text();
    const href = /<link rel="manifest" href="([^"]+)"/.exec(html)?.[1];
    expect(href).toBeDefined();
    const response = await fetch(new URL(href!, storage.url));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/manifest\+json/);
    const manifest = await response.json();

    expect(manifest).toMatchObject({
      id: '/',
      name: 'Coffre',
      short_name: 'Coffre',
      start_url: '/',
      scope: '/',
      display: 'standalone',
      theme_color: expect.stringMatching(/^#[0-9a-f]{6}$/),
      background_color: expect.stringMatching(/^#[0-9a-f]{6}$/),
    });
    expect(manifest.description.length).toBeGreaterThan(10);
    expect(manifest.categories).toContain('productivity');

    const icons = manifest.icons as ManifestIcon[];
    const anySizes = icons.filter((i) => (i.purpose ?? 'any') === 'any').map((i) => i.sizes);
    expect(anySizes).toEqual(expect.arrayContaining(['144x144', '192x192', '384x384', '512x512']));
    const maskable = icons.filter((i) => i.purpose === 'maskable').map((i) => i.sizes);
    expect(maskable).toEqual(expect.arrayContaining(['192x192', '512x512']));

    const shortcuts = manifest.shortcuts as Array<{
      name: string;
      url: string;
      icons: ManifestIcon[];
    }>;
    expect(shortcuts.map((s) => [s.name, s.url])).toEqual([
      ['Upload files', '/?action=upload'],
      ['Shared links', '/?view=links'],
    ]);

    expect(manifest.share_target).toEqual({
      action: '/share-target',
      method: 'POST',
      enctype: 'multipart/form-data',
      params: { files: [{ name: 'files', accept: ['*/*'] }] },
    });

    const screenshots = manifest.screenshots as ManifestIcon[];
    expect(screenshots.length).toBeGreaterThan(0);
    for (const icon of [...icons, ...shortcuts.flatMap((s) => s.icons), ...screenshots]) {
      const image = await fetch(new URL(icon.src, storage.url));
      expect(image.status, icon.src).toBe(200);
      expect(image.headers.get('content-type'), icon.src).toBe(icon.type);
      expect(pngSize(Buffer.from(await image.arrayBuffer())), icon.src).toBe(icon.sizes);
    }
  });

  it('installs: no installability errors, the worker controls the page, and it opens offline', async () => {
    const context = await launchProfile();
    const page = await openInstalled(context);
    await page.reload();
    expect(await controlled(page)).toBe(true);

    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    expect(installabilityErrors).toEqual([]);
    const installButton = page.getByRole('button', { name: 'Install app' });
    await installButton.waitFor({ timeout: 15_000 });

    await context.setOffline(true);
    await page.reload();
    await page.getByRole('heading', { name: 'Log in to your drive' }).waitFor();
    expect(await controlled(page)).toBe(true);
    await context.close();
  });

  it('asks before switching to a new version, then reloads into it', async () => {
    const context = await launchProfile();
    const page = await openInstalled(context);
    await markDocument(page);

    await publishNewVersion('version 2');
    await checkForUpdate(page);
    const banner = page.getByRole('status').filter({ hasText: 'A new version is ready.' });
    await banner.waitFor();
    // Offered, not applied: the same document, the new worker still waiting.
    expect(await documentMarked(page)).toBe(true);
    expect(await waitingWorker(page)).toBe(true);

    await Promise.all([
      page.waitForEvent('load'),
      banner.getByRole('button', { name: 'Reload' }).click(),
    ]);
    expect(await documentMarked(page)).toBe(false);
    expect(await waitingWorker(page)).toBe(false);
    expect(await controlled(page)).toBe(true);
    await context.close();
  });

  it('a version accepted in one tab does not reload another, which says so instead', async () => {
    const context = await launchProfile();
    const first = await openInstalled(context);
    const second = await openInstalled(context);
    await markDocument(first);
    await markDocument(second);

    await publishNewVersion('version 2b');
    await checkForUpdate(first);
    const offer = (page: Page) =>
      page.getByRole('status').filter({ hasText: 'A new version is ready.' });
    await offer(second).waitFor();
    await Promise.all([
      first.waitForEvent('load'),
      offer(first).getByRole('button', { name: 'Reload' }).click(),
    ]);
    expect(await documentMarked(first)).toBe(false);

    const notice = second
      .getByRole('status')
      .filter({ hasText: 'Coffre was updated in another tab.' });
    await notice.waitFor();
    expect(await documentMarked(second)).toBe(true);
    await Promise.all([
      second.waitForEvent('load'),
      notice.getByRole('button', { name: 'Reload' }).click(),
    ]);
    expect(await documentMarked(second)).toBe(false);
    await context.close();
  });

  it('while an upload runs, offers to update once it has finished, and waits for it', async () => {
    const gate = await startChunkGate(storage.url);
    const context = await launchProfile();
    const page = await context.newPage();
    await signUp(page, gate.url, `updates-${Date.now()}@example.org`);

    const { files } = await makeFiles({ 'while-updating.bin': 300_000 });
    await uploadFiles(page, [files[0]!.absolute]);
    await expect.poll(() => gate.held()).toBeGreaterThan(0);

    await markDocument(page);
    await publishNewVersion('version 3');
    await checkForUpdate(page);
    const banner = page.getByRole('status').filter({ hasText: 'A new version is ready.' });
    await banner.getByText('Transfers are still running.').waitFor();
    await banner.getByRole('button', { name: 'Update after transfers finish' }).click();
    const deferred = page
      .getByRole('status')
      .filter({ hasText: 'The new version will load when your transfers finish.' });
    await deferred.waitFor();
    expect(await documentMarked(page)).toBe(true);
    expect(await waitingWorker(page)).toBe(true);

    // Once the upload is done the page asks the waiting worker to take over, and reloads when it
    // does. Chromium sometimes holds that worker back a while after a request was held in flight
    // under the old one, so only what both outcomes share is checked here; the reload itself is
    // checked in the test above, with nothing running.
    gate.release();
    await deferred.waitFor({ state: 'detached', timeout: 60_000 });
    await row(page, 'while-updating.bin').waitFor({ timeout: 60_000 });
    await context.close();
    await gate.close();
  });
});
