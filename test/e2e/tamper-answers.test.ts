import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openFolder,
  row,
  signUp,
  transferOutcome,
  uploadFiles,
  uploadFolder,
  waitUploaded,
} from './app-flows';
import { share } from './link-flows';
import { launchChromium, startStorage, type RunningStorage } from './harness';
import { startTamperProxy, type TamperProxy } from './tamper-proxy';
import { makeFiles } from './test-files';

// A hostile storage server, through a proxy that rewrites its answers: an answer far larger than
// its route allows is refused before the tab pays for it, and entries it forges into a listing are
// hidden with a word, in a shared folder and in the rubbish bin as in the drive.

const MiB = 1024 * 1024;
const FILE_ROUTE = /^\/api\/v1\/files\/[A-Za-z0-9_-]{22}$/;
const LINK_CHILDREN = /^\/api\/v1\/links\/[A-Za-z0-9_-]{22}\/nodes\/[A-Za-z0-9_-]{22}\/children$/;
const TRASH = /^\/api\/v1\/trash$/;
/** What the tab may grow by while it refuses a 300 MB answer. */
const MEMORY_ALLOWANCE = 50 * MiB;

let storage: RunningStorage;
let proxy: TamperProxy;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [storage, browser] = await Promise.all([startStorage(), launchChromium()]);
  proxy = await startTamperProxy(storage.url);
  const { root, files } = await makeFiles({
    'victim.bin': 1 * MiB + 123,
    'binned.txt': 'soon in the bin',
    'Shared/one.txt': 'one',
    'Shared/two.txt': 'two',
  });
  page = await (await browser.newContext()).newPage();
  await signUp(page, proxy.url, `hostile-answers-${Date.now()}@example.org`);
  await uploadFiles(
    page,
    files.filter((f) => !f.relative.includes('/')).map((f) => f.absolute),
  );
  await uploadFolder(page, path.join(root, 'Shared'));
  await waitUploaded(page, ['victim.bin', 'binned.txt', 'one.txt', 'two.txt']);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await storage?.close();
});

/** The file record around its manifest, so a manifest of any size can go between: all else real. */
function around(record: Buffer): { head: Buffer; tail: Buffer } {
  const text = record.toString('utf8');
  const { manifest } = JSON.parse(text) as { manifest: string };
  const at = text.indexOf(manifest);
  return {
    head: Buffer.from(text.slice(0, at)),
    tail: Buffer.from(text.slice(at + manifest.length)),
  };
}

/** The tab's memory: its JS heap and the resident size of every renderer process. */
async function memoryOf(target: Page) {
  const session: CDPSession = await target.context().newCDPSession(target);
  const browserSession = await browser.newBrowserCDPSession();
  await session.send('Performance.enable');
  const heap = async () => {
    const { metrics } = await session.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'JSHeapUsedSize')!.value;
  };
  const renderers = async () => {
    const { processInfo } = (await browserSession.send('SystemInfo.getProcessInfo')) as {
      processInfo: { type: string; id: number }[];
    };
    let bytes = 0;
    for (const { id } of processInfo.filter((p) => p.type === 'renderer')) {
      const status = await readFile(`/proc/${id}/status`, 'utf8').catch(() => '');
      bytes += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    }
    return bytes;
  };
  await session.send('HeapProfiler.collectGarbage');
  const start = { heap: await heap(), renderers: await renderers() };
  const peak = { ...start };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak.heap = Math.max(peak.heap, await heap());
      peak.renderers = Math.max(peak.renderers, await renderers());
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    /** Stops sampling; the most each grew by since the start. */
    async growth() {
      sampling = false;
      await sampler;
      await session.detach();
      await browserSession.detach();
      return { heap: peak.heap - start.heap, renderers: peak.renderers - start.renderers };
    },
  };
}

async function downloadVictim(): Promise<{ state: string; detail: string }> {
  const clear = page.getByRole('button', { name: 'Clear finished' });
  if (await clear.isVisible()) await clear.click();
  await row(page, 'victim.bin').getByRole('button', { name: 'Download' }).click();
  return transferOutcome(page, 'Download', 'victim.bin', 120_000);
}

describe('an answer larger than its route allows', () => {
  const cases = {
    'with its 300 MB length declared': (head: Buffer, tail: Buffer) => {
      const whole = Buffer.alloc(head.length + 300 * MiB + tail.length, 'A');
      head.copy(whole);
      tail.copy(whole, whole.length - tail.length);
      return whole;
    },
    'streamed without a length': (head: Buffer, tail: Buffer) =>
      Readable.from(
        (function* () {
          yield head;
          for (let i = 0; i < 300; i++) yield Buffer.alloc(MiB, 'A');
          yield tail;
        })(),
      ),
  };
  for (const [name, body] of Object.entries(cases)) {
    it(`a 300 MB manifest ${name}: refused as tampered, and the tab grows by < 50 MB`, async () => {
      let served = 0;
      proxy.tamper = async ({ url }, record) => {
        if (!FILE_ROUTE.test(url)) return undefined;
        served++;
        const { head, tail } = around(record);
        return body(head, tail);
      };
      const memory = await memoryOf(page);
      const outcome = await downloadVictim();
      const growth = await memory.growth();
      proxy.tamper = null;
      expect(served).toBe(1);
      expect(outcome.state).toBe('failed');
      expect(outcome.detail.toLowerCase()).toContain('integrity check failed');
      expect(growth.heap).toBeLessThan(MEMORY_ALLOWANCE);
      expect(growth.renderers).toBeLessThan(MEMORY_ALLOWANCE);
    });
  }

  it('the same file downloads once the server answers honestly again', async () => {
    const outcome = await downloadVictim();
    expect(outcome.state).toBe('done');
  });
});

/** A copy of the listing's first entry under an id of its own: its key cannot unwrap. */
function withForged(listing: Buffer, count: number): Buffer {
  const answer = JSON.parse(listing.toString('utf8')) as { nodes: { id: string }[] };
  const real = answer.nodes[0]!;
  for (let i = 0; i < count; i++) {
    answer.nodes.push({ ...real, id: `AAAAAAAAAAAAAAAAAAAAA${'ABCDEFGH'[i]}` });
  }
  return Buffer.from(JSON.stringify(answer));
}

const notice = (target: Page) =>
  target.getByRole('alert').filter({ hasText: 'failed the integrity check' });

describe('entries a server forged into a listing', () => {
  it('a shared folder hides them and says how many', async () => {
    const url = await share(page, 'Shared');
    const recipient = await (await browser.newContext()).newPage();
    proxy.tamper = async ({ url: path }, body) =>
      LINK_CHILDREN.test(path) ? withForged(body, 2) : undefined;
    await recipient.goto(url);
    await notice(recipient).waitFor({ timeout: 60_000 });
    expect(await notice(recipient).innerText()).toBe(
      '2 items failed the integrity check and are hidden.',
    );
    await row(recipient, 'one.txt').waitFor();
    await row(recipient, 'two.txt').waitFor();
    expect(await recipient.getByRole('row').count()).toBe(3); // the header and the two real files

    proxy.tamper = null;
    await recipient.reload();
    await row(recipient, 'one.txt').waitFor();
    expect(await notice(recipient).count()).toBe(0);
    await recipient.context().close();
  });

  it('the rubbish bin hides them and says how many', async () => {
    await row(page, 'binned.txt').getByRole('button', { name: 'Delete' }).click();
    await row(page, 'binned.txt').waitFor({ state: 'detached' });
    proxy.tamper = async ({ url }, body) => (TRASH.test(url) ? withForged(body, 1) : undefined);
    await page
      .getByRole('navigation', { name: 'Drive' })
      .getByRole('button', { name: 'Rubbish bin' })
      .click();
    await notice(page).waitFor({ timeout: 60_000 });
    expect(await notice(page).innerText()).toBe(
      'One item failed the integrity check and is hidden.',
    );
    await page.getByRole('row').filter({ hasText: 'binned.txt' }).waitFor();

    proxy.tamper = null;
    await page
      .getByRole('navigation', { name: 'Drive' })
      .getByRole('button', { name: 'My files' })
      .click();
    await openFolder(page, 'Shared');
    expect(await notice(page).count()).toBe(0);
  });
});
