import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driveReady, row, signUp, uploadFiles, waitUploaded } from './app-flows';
import { launchPersistentChromium, startStorage, type RunningStorage } from './harness';
import { putsAfterAcknowledgement, recordChunkPuts, throttleUploads } from './outbox-flows';
import { makeFiles } from './test-files';

// Two tabs of one account: both list the queue, one sends it, and a file added in the other tab
// is sent too; no chunk goes twice.

const MB = 1_000_000;
let storage: RunningStorage;
let context: BrowserContext;
let profile: string;

beforeAll(async () => {
  profile = await mkdtemp(path.join(tmpdir(), 'coffre-profile-'));
  [storage, context] = await Promise.all([startStorage(), launchPersistentChromium(profile)]);
});

afterAll(async () => {
  await context?.close();
  await storage?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

describe('the upload outbox in two tabs', () => {
  it('lists the queue in both tabs and sends each file once', async () => {
    const { files } = await makeFiles({ 'from tab one.bin': 60 * MB, 'from tab two.bin': 9 * MB });
    const one = context.pages()[0] ?? (await context.newPage());
    await signUp(one, storage.url, `tabs-${Date.now()}@example.org`);
    const events = recordChunkPuts(context);
    await throttleUploads(context, one, 20 * MB);

    const two = await context.newPage();
    await two.goto(storage.url);
    await driveReady(two);

    await uploadFiles(one, [files[0]!.absolute]);
    await uploadFiles(two, [files[1]!.absolute]);
    // Each tab lists both files, and sees them finish.
    await waitUploaded(two, ['from tab one.bin', 'from tab two.bin']);
    await waitUploaded(one, ['from tab one.bin', 'from tab two.bin']);
    expect(putsAfterAcknowledgement(events)).toEqual([]);
    const sent = events.filter((e) => e.kind === 'sent');
    expect(new Set(sent.map((e) => `${e.uploadId}/${e.index}`)).size).toBe(sent.length);

    await two.reload();
    await driveReady(two);
    await row(two, 'from tab one.bin').waitFor();
    await row(two, 'from tab two.bin').waitFor();
  });
});
