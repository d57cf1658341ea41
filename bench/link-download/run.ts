// bench/link-download: a link download in Chromium (fetch, verify, decrypt in the worker pool,
// stream to disk through the service worker) against the same run's plain GET of the same bytes
// through the same link routes, for a 256 MiB and a 1 GiB file: MB/s and the recipient tab's
// memory, which must not grow with the file. Usage: npm run bench:link-download [-- sizesMiB…]
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { signUp, uploadFiles, waitUploaded } from '../../test/e2e/app-flows';
import { share } from '../../test/e2e/link-flows';
import { CHROMIUM_ARGS } from '../../test/e2e/harness';
import { chromiumPath } from '../../test/e2e/chromium-path';
import { chunkCount } from '@coffre/core/format';
import { rendererPids, rssOf, samplePeak } from '../lib/processes';
import { startStorageProcess } from '../lib/storage-process';
import { plainGet } from './plain-get';

const MiB = 1024 * 1024;
const sizesMiB = process.argv.slice(2).map(Number).filter(Boolean);
const SIZES = (sizesMiB.length ? sizesMiB : [256, 1024]).map((m) => m * MiB);
const IN_FLIGHT = 3; // the chunk being written plus two read ahead (client/src/services/downloads/verified-file.ts)

async function writeRandomFile(file: string, bytes: number) {
  const out = createWriteStream(file);
  for (let written = 0; written < bytes; written += 8 * MiB) {
    if (!out.write(randomBytes(Math.min(8 * MiB, bytes - written)))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const mb = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(1);
const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;

async function main() {
  const work = await mkdtemp(path.join(tmpdir(), 'coffre-bench-link-'));
  const profile = path.join(work, 'profile');
  const server = await startStorageProcess({
    COFFRE_AUTH_RATE_MAX: '1000',
    COFFRE_LINK_RATE_MAX: '100000',
    COFFRE_LINK_CONTENT_RATE_MAX: '100000',
    COFFRE_LINK_PER_LINK_RATE_MAX: '100000',
  });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    acceptDownloads: true,
  });
  const tabRss = () => rendererPids(profile).reduce((sum, pid) => sum + rssOf(pid), 0);
  const rows: string[][] = [];
  try {
    const owner = context.pages()[0] ?? (await context.newPage());
    await signUp(owner, server.url, `bench-link-${Date.now()}@example.org`);
    const urls: string[] = [];
    for (const size of SIZES) {
      const name = `bench-link-${size / MiB}MiB.bin`;
      const file = path.join(work, name);
      await writeRandomFile(file, size);
      await uploadFiles(owner, [file]);
      await waitUploaded(owner, [name]);
      await rm(file);
      urls.push(await share(owner, name));
    }
    await owner.close();

    for (const [i, size] of SIZES.entries()) {
      const page = await context.newPage();
      const fileRoute = routeOf(page);
      await page.goto(urls[i]!);
      const button = page.getByRole('button', { name: 'Download' });
      await button.waitFor({ timeout: 60_000 });
      const idle = tabRss();

      const tab = samplePeak(tabRss);
      const started = performance.now();
      const [saved] = await Promise.all([page.waitForEvent('download'), button.click()]);
      const savedPath = await saved.path();
      const appMs = performance.now() - started;
      const appPeak = tab.stop();
      const failure = await saved.failure();
      if (failure) throw new Error(`download failed: ${failure}`);
      await rm(savedPath);

      const [linkId, nodeId] = fileRoute().split('/') as [string, string];
      await page.evaluate('globalThis.__name = (fn) => fn'); // tsx's name helper, see bench/upload
      const plainTab = samplePeak(tabRss);
      const plain = await page.evaluate(plainGet, {
        linkId,
        nodeId,
        chunkCount: chunkCount(size),
        inFlight: IN_FLIGHT,
      });
      const plainPeak = plainTab.stop();
      await page.close();
      rows.push(
        [
          mib(size),
          'plain GET of the chunks (baseline)',
          mb(plain.bytes, plain.ms),
          mib(idle),
          mib(plainPeak),
        ],
        [mib(size), 'link download (verify+decrypt+disk)', mb(size, appMs), '', mib(appPeak)],
        [mib(size), 'ratio link download / baseline', (plain.ms / appMs).toFixed(2), '', ''],
      );
      console.error(`done: ${mib(size)}`);
    }
  } finally {
    await context.close();
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }

  const header = ['file', 'path', 'MB/s', 'tab idle RSS', 'tab peak RSS'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(`Chromium ${chromiumPath()}, ${IN_FLIGHT} chunks in flight`);
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

/** The link and file ids the page's own requests name, once it has asked for the file. */
function routeOf(page: Page): () => string {
  let route = '';
  page.on('request', (r) => {
    const m = /\/api\/v1\/links\/([^/]+)\/files\/([^/]+)$/.exec(new URL(r.url()).pathname);
    if (m) route = `${m[1]}/${m[2]}`;
  });
  return () => route;
}

await main();
