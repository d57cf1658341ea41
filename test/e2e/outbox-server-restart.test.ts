import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download, row, sha256OfFile, signUp, uploadFiles, waitUploaded } from './app-flows';
import { launchPersistentChromium } from './harness';
import {
  acknowledgedCount,
  putsAfterAcknowledgement,
  recordChunkPuts,
  throttleUploads,
  waitFor,
} from './outbox-flows';
import { startStorageProcess, type LoggedRequest, type StorageProcess } from './storage-process';
import { makeFiles, type TestFile } from './test-files';

// The storage server process is killed (SIGKILL) in the middle of a 200 MB upload and started
// again on the same port with the same data: the upload carries on from what the server holds,
// and no chunk the server acknowledged is sent again — by the browser's account and by the
// server's own request log.

const MB = 1_000_000;
let storage: StorageProcess;
let context: BrowserContext;
let profile: string;
let file: TestFile;

beforeAll(async () => {
  profile = await mkdtemp(path.join(tmpdir(), 'coffre-profile-'));
  [storage, context] = await Promise.all([
    startStorageProcess(),
    launchPersistentChromium(profile),
  ]);
  const { files } = await makeFiles({ 'server restart.bin': 200 * MB + 999 });
  file = files[0]!;
});

afterAll(async () => {
  await context?.close();
  await storage?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

const CHUNK_PUT = /^\/api\/v1\/uploads\/[^/]+\/chunks\/\d+$/;

/** Chunk PUTs the server logged for an upload and index it had already answered 2xx. */
function chunkPutsAfterAcknowledgement(log: LoggedRequest[]): LoggedRequest[] {
  const acknowledged = new Set<string>();
  const again: LoggedRequest[] = [];
  for (const request of log) {
    if (request.method !== 'PUT' || !CHUNK_PUT.test(request.url)) continue;
    if (acknowledged.has(request.url)) again.push(request);
    if (request.status >= 200 && request.status < 300) acknowledged.add(request.url);
  }
  return again;
}

describe('the upload outbox across a server restart', () => {
  it('finishes the upload identical without sending an acknowledged chunk again', async () => {
    const page = context.pages()[0] ?? (await context.newPage());
    await signUp(page, storage.url, `restart-${Date.now()}@example.org`);
    const events = recordChunkPuts(context);
    await throttleUploads(context, page, 40 * MB);

    await uploadFiles(page, [file.absolute]);
    await waitFor(() => acknowledgedCount(events) >= 6);
    await storage.kill();
    const beforeRestart = acknowledgedCount(events);
    const loggedBeforeKill = storage.log.length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await storage.start();

    await waitUploaded(page, ['server restart.bin']);
    // The upload was cut in the middle: chunks were still to send after the restart.
    expect(beforeRestart).toBeLessThan(48);
    expect(putsAfterAcknowledgement(events)).toEqual([]);
    // The server's log says the same: both processes served chunks, none after its 2xx.
    expect(loggedBeforeKill).toBeGreaterThan(0);
    expect(chunkPutsAfterAcknowledgement(storage.log)).toEqual([]);
    expect(storage.log.slice(loggedBeforeKill).some((r) => CHUNK_PUT.test(r.url))).toBe(true);

    const close = page.getByRole('button', { name: 'Close transfers' });
    if (await close.isVisible()) await close.click();
    await row(page, 'server restart.bin').getByRole('button', { name: 'Download' }).waitFor();
    const saved = await download(page, 'server restart.bin');
    expect(await saved.failure()).toBeNull();
    expect(await sha256OfFile(await saved.path())).toBe(
      createHash('sha256').update(file.content).digest('hex'),
    );
  });
});
