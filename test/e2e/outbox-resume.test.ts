import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  download,
  driveReady,
  row,
  sha256OfFile,
  signUp,
  uploadFiles,
  waitUploaded,
} from './app-flows';
import { launchPersistentChromium, startStorage, type RunningStorage } from './harness';
import {
  acknowledgedCount,
  outboxPhases,
  putsAfterAcknowledgement,
  storedChunkCount,
  uploadItem,
  recordChunkPuts,
  throttleUploads,
  waitFor,
} from './outbox-flows';
import { makeFiles, type TestFile } from './test-files';

// The page is closed in the middle of an upload; a new page of the same browser picks the upload
// up from the outbox and sends only the chunks the server has not acknowledged.

const MB = 1_000_000;
const NAME = 'closed mid-upload.bin';
let storage: RunningStorage;
let context: BrowserContext;
let profile: string;
let file: TestFile;

beforeAll(async () => {
  profile = await mkdtemp(path.join(tmpdir(), 'coffre-profile-'));
  [storage, context] = await Promise.all([startStorage(), launchPersistentChromium(profile)]);
  const { files } = await makeFiles({ [NAME]: 120 * MB + 5 });
  file = files[0]!;
});

afterAll(async () => {
  await context?.close();
  await storage?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

describe('the upload outbox across a closed page', () => {
  it('resumes in a new page from the first chunk not acknowledged, and the file is identical', async () => {
    const first = context.pages()[0] ?? (await context.newPage());
    await signUp(first, storage.url, `resume-${Date.now()}@example.org`);
    const events = recordChunkPuts(context);
    await throttleUploads(context, first, 30 * MB);

    await uploadFiles(first, [file.absolute]);
    // Closed once the file is fully encrypted on the device and a few chunks went out.
    await expect.poll(() => outboxPhases(first), { timeout: 120_000 }).toEqual(['ready']);
    await waitFor(() => acknowledgedCount(events) >= 5);
    await first.close();
    const acknowledgedBefore = new Set(
      events.filter((e) => e.kind === 'acknowledged').map((e) => e.index),
    );
    const total = Math.ceil(file.content.length / (4 * 1024 * 1024));
    expect(acknowledgedBefore.size).toBeLessThan(total);

    const second = await context.newPage();
    await second.goto(storage.url);
    await driveReady(second);
    await waitUploaded(second, [NAME]);

    const sentBySecond = events.filter((e) => e.kind === 'sent' && e.page === second);
    expect(sentBySecond.length).toBeGreaterThan(0);
    expect(sentBySecond.filter((e) => acknowledgedBefore.has(e.index))).toEqual([]);
    expect(putsAfterAcknowledgement(events)).toEqual([]);

    const close = second.getByRole('button', { name: 'Close transfers' });
    if (await close.isVisible()) await close.click();
    await row(second, NAME).getByRole('button', { name: 'Download' }).waitFor();
    const saved = await download(second, NAME);
    expect(await saved.failure()).toBeNull();
    expect(await sha256OfFile(await saved.path())).toBe(
      createHash('sha256').update(file.content).digest('hex'),
    );
    await second.close();
  });

  it('shows an encryption cut short by a closed page as failed, asking for the file again', async () => {
    const { files } = await makeFiles({ 'cut short.bin': 400 * MB });
    const first = await context.newPage();
    await first.goto(storage.url);
    await driveReady(first);
    await uploadFiles(first, [files[0]!.absolute]);
    await expect.poll(() => outboxPhases(first), { timeout: 60_000 }).toContain('encrypting');
    await first.close();

    const second = await context.newPage();
    await second.goto(storage.url);
    await driveReady(second);
    await expect
      .poll(() => uploadItem(second, 'cut short.bin').innerText(), { timeout: 60_000 })
      .toMatch(/add the file again/i);
    expect(await outboxPhases(second)).toEqual(['failed']);
    // Its chunks are gone from the device; Remove takes the item away.
    expect(await storedChunkCount(second)).toBe(0);
    await uploadItem(second, 'cut short.bin')
      .getByRole('button', { name: /^Remove/ })
      .click();
    await expect.poll(() => outboxPhases(second)).toEqual([]);
    await second.close();
  });
});
