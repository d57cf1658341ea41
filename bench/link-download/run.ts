// bench/link-download: a link download of a 1 GiB file in Chromium (fetch, verify, decrypt in the
// worker pool, stream to disk through the service worker) against the same run's plain GET of the
// same bytes through the same link routes. Prints MB/s and the recipient tab's peak memory.
// Usage: npm run bench:link-download [-- sizeMiB]
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { signUp, uploadFiles, waitUploaded } from '../../test/e2e/app-flows';
import { share } from '../../test/e2e/link-flows';
import { CHROMIUM_ARGS } from '../../test/e2e/harness';
import { chromiumPath } from '../../test/e2e/chromium-path';
import { chunkCount } from '../../core/format';
import { rendererPids, rssOf, samplePeak } from '../lib/processes';
import { startStorageProcess } from '../lib/storage-process';
import { plainGet } from './plain-get';

const MiB = 1024 * 1024;
const SIZE = (Number(process.argv[2]) || 1024) * MiB;
const IN_FLIGHT = 2; // the app reads two chunks ahead (client/src/services/downloads.ts)

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
    COFFRE_LINK_CHUNK_RATE_MAX: '100000',
  });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    acceptDownloads: true,
  });
  try {
    const name = `bench-link-${SIZE / MiB}MiB.bin`;
    const file = path.join(work, name);
    await writeRandomFile(file, SIZE);
    const owner = context.pages()[0] ?? (await context.newPage());
    await signUp(owner, server.url, `bench-link-${Date.now()}@example.org`);
    await uploadFiles(owner, [file]);
    await waitUploaded(owner, [name]);
    await rm(file);
    const url = await share(owner, name);
    await owner.close();

    const page = await context.newPage();
    let fileRoute = '';
    page.on('request', (r) => {
      const m = /\/api\/v1\/links\/([^/]+)\/files\/([^/]+)$/.exec(new URL(r.url()).pathname);
      if (m) fileRoute = `${m[1]}/${m[2]}`;
    });
    await page.goto(url);
    const download = page.getByRole('button', { name: 'Download' });
    await download.waitFor({ timeout: 60_000 });
    const idle = rendererPids(profile).reduce((sum, pid) => sum + rssOf(pid), 0);

    const tab = samplePeak(() => rendererPids(profile).reduce((sum, pid) => sum + rssOf(pid), 0));
    const started = performance.now();
    const [saved] = await Promise.all([page.waitForEvent('download'), download.click()]);
    const savedPath = await saved.path();
    const appMs = performance.now() - started;
    const appPeak = tab.stop();
    if (await saved.failure()) throw new Error(`download failed: ${await saved.failure()}`);
    await rm(savedPath);

    const [linkId, nodeId] = fileRoute.split('/') as [string, string];
    await page.evaluate('globalThis.__name = (fn) => fn'); // tsx's name helper, see bench/upload
    const plainTab = samplePeak(() =>
      rendererPids(profile).reduce((sum, pid) => sum + rssOf(pid), 0),
    );
    const plain = await page.evaluate(plainGet, {
      linkId,
      nodeId,
      chunkCount: chunkCount(SIZE),
      inFlight: IN_FLIGHT,
    });
    const plainPeak = plainTab.stop();

    console.log(`Chromium ${chromiumPath()}, file ${mib(SIZE)}, ${IN_FLIGHT} chunks in flight`);
    console.log('path                                  MB/s   tab idle   tab peak');
    console.log(
      `plain GET of the chunks (baseline)    ${mb(plain.bytes, plain.ms).padStart(5)}   ${mib(idle).padStart(8)}   ${mib(plainPeak).padStart(8)}`,
    );
    console.log(
      `link download (verify+decrypt+disk)   ${mb(SIZE, appMs).padStart(5)}   ${''.padStart(8)}   ${mib(appPeak).padStart(8)}`,
    );
    console.log(`ratio link download / baseline        ${(plain.ms / appMs).toFixed(2)}`);
  } finally {
    await context.close();
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
