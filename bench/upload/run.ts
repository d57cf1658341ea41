// bench/upload: encrypt + upload + commit through the app in Chromium, against the same run's
// plain (unencrypted) PUT of the same bytes to the same server, for a 256 MiB and a 1 GiB file,
// with the peak memory of the tab and of the server. Usage: npm run bench:upload [-- sizesMiB…]
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { chromium } from 'playwright-core';
import { signUp, transferOutcome, uploadFiles } from '../../test/e2e/app-flows';
import { CHROMIUM_ARGS } from '../../test/e2e/harness';
import { chromiumPath } from '../../test/e2e/chromium-path';
import { CHUNK_OVERHEAD, CHUNK_SIZE } from '@coffre/core/format';
import { rendererPids, rssOf, samplePeak } from '../lib/processes';
import { startStorageProcess } from '../lib/storage-process';
import { createOpaqueAccount, opaqueBlobs } from '../lib/opaque-account';
import { plainPut } from './plain-put';

const MiB = 1024 * 1024;
const sizesMiB = process.argv.slice(2).map(Number).filter(Boolean);
const SIZES = (sizesMiB.length ? sizesMiB : [256, 1024]).map((m) => m * MiB);
const IN_FLIGHT = 4; // the app's chunks in flight per file (CHUNKS_IN_FLIGHT, client/src/services/outbox/item.ts)

async function writeRandomFile(file: string, bytes: number) {
  const out = createWriteStream(file);
  for (let written = 0; written < bytes; written += 8 * MiB) {
    if (!out.write(randomBytes(Math.min(8 * MiB, bytes - written)))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const mb = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);
const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;

async function main() {
  const work = await mkdtemp(path.join(tmpdir(), 'coffre-bench-upload-'));
  const profile = path.join(work, 'profile');
  const server = await startStorageProcess({ COFFRE_AUTH_RATE_MAX: '1000' });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const rows: string[][] = [];
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await signUp(page, server.url, `bench-${Date.now()}@example.org`);
    const plainAccount = await createOpaqueAccount(
      server.url,
      `bench-plain-${Date.now()}@example.org`,
    );
    const tabRss = () => rendererPids(profile).reduce((sum, pid) => sum + rssOf(pid), 0);

    for (const size of SIZES) {
      const name = `bench-${size / MiB}MiB.bin`;
      const file = path.join(work, name);
      await writeRandomFile(file, size);

      // Baseline: the same bytes, unencrypted, through the same API. (tsx keeps function names
      // with a `__name` helper that a function serialised into the page must find there too.)
      await page.evaluate('globalThis.__name = (fn) => fn');
      await page.evaluate(() => {
        const input = document.createElement('input');
        input.type = 'file';
        input.id = 'bench-plain-input';
        input.hidden = true;
        document.body.append(input);
      });
      await page.setInputFiles('#bench-plain-input', file);
      const idleTab = tabRss();
      const plainTab = samplePeak(tabRss);
      const plainServer = samplePeak(() => rssOf(server.pid));
      const plainMs = await page.evaluate(plainPut, {
        token: plainAccount.token,
        rootId: plainAccount.rootId,
        inputSelector: '#bench-plain-input',
        nodeId: opaqueBlobs.b64(16),
        wrappedKey: opaqueBlobs.b64(opaqueBlobs.SEALED_KEY),
        encMeta: opaqueBlobs.b64(200),
        chunkSize: CHUNK_SIZE,
        overhead: CHUNK_OVERHEAD,
        inFlight: IN_FLIGHT,
      });
      const plainPeaks = [plainTab.stop(), plainServer.stop()];
      await page.evaluate(() => document.getElementById('bench-plain-input')?.remove());

      // The app: encrypt in the worker pool, upload, sign and commit the manifest.
      const appTab = samplePeak(tabRss);
      const appServer = samplePeak(() => rssOf(server.pid));
      const started = performance.now();
      await uploadFiles(page, [file]);
      const outcome = await transferOutcome(page, 'Upload', name, 30 * 60_000);
      const appMs = performance.now() - started;
      const appPeaks = [appTab.stop(), appServer.stop()];
      if (outcome.state !== 'done') throw new Error(`upload failed: ${outcome.detail}`);

      rows.push(
        [
          mib(size),
          'plain PUT (baseline)',
          mb(size, plainMs).toFixed(1),
          mib(idleTab),
          mib(plainPeaks[0]!),
          mib(plainPeaks[1]!),
        ],
        [
          mib(size),
          'encrypt+upload+commit',
          mb(size, appMs).toFixed(1),
          '',
          mib(appPeaks[0]!),
          mib(appPeaks[1]!),
        ],
        [mib(size), 'ratio app / baseline', (plainMs / appMs).toFixed(2), '', '', ''],
      );
      await rm(file);
      console.error(`done: ${mib(size)}`);
    }
  } finally {
    await context.close();
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }

  const header = ['file', 'path', 'MB/s', 'tab idle RSS', 'tab peak RSS', 'server peak RSS'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(
    `Chromium ${chromiumPath()}, ${IN_FLIGHT} chunks in flight, chunk ${CHUNK_SIZE / MiB} MiB`,
  );
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

await main();
