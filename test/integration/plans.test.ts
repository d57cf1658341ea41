import { cp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkCount, cipherSize } from '@coffre/core/format';
import {
  check,
  ErrorBody as ErrorSchema,
  PlanCatalog,
  UsageBreakdown,
  type Account,
  type ErrorBody,
} from '@coffre/core/protocol';
import { buildApp } from '../../storage-server/src/app';
import { DEFAULT_CONFIG } from '../../storage-server/src/config';
import { readPlansFile } from '../../storage-server/src/plans';
import {
  call,
  createFolder,
  fakeChunks,
  filesUnder,
  newId,
  sealedKey,
  sealedMeta,
  signUp,
  startServer,
  TEST_BLOB_STORE,
  testPlans,
  uploadFile,
  type TestAccount,
  type TestServer,
} from './harness';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ plans: testPlans({ storage: 1e9 }) });
});
afterAll(async () => {
  await server.close();
});

async function usage(account: TestAccount) {
  return (await call<Account>(server, 'GET', '/api/v1/account', { token: account.token })).body
    .usage;
}

async function breakdown(account: TestAccount) {
  const reply = await call(server, 'GET', '/api/v1/account/usage', { token: account.token });
  expect(reply.status).toBe(200);
  return check(UsageBreakdown, reply.body);
}

/** Opens an upload of `plainSize` bytes without sending any chunk: a bare reservation. */
function openUpload(account: TestAccount, parentId: string, plainSize: number) {
  return call<ErrorBody & { uploadId: string }>(server, 'POST', '/api/v1/uploads', {
    token: account.token,
    json: {
      nodeId: newId(),
      parentId,
      wrappedKey: sealedKey(),
      encMeta: sealedMeta(),
      revision: 1,
      wrappedContentKey: sealedKey(),
      size: cipherSize(plainSize),
      chunkCount: chunkCount(plainSize),
    },
  });
}

const bytesOf = (chunks: Buffer[]) => chunks.reduce((sum, c) => sum + c.length, 0);
const blobCount = async () => (await server.storedChunks()).length;

describe('plans', () => {
  it('lists the configured plans without a session', async () => {
    const reply = await call(server, 'GET', '/api/v1/plans');
    expect(reply.status).toBe(200);
    expect(check(PlanCatalog, reply.body)).toEqual(testPlans({ storage: 1e9 }));
  });

  it('ships the four plans of config/plans.json, Free by default', () => {
    const shipped = readPlansFile('config/plans.json');
    expect(shipped).toEqual({
      default: 'free',
      plans: [
        { id: 'free', name: 'Free', storageQuota: 50e9, transferQuota: 100e9 },
        { id: 'pro-i', name: 'Pro I', storageQuota: 500e9, transferQuota: 1e12 },
        { id: 'pro-ii', name: 'Pro II', storageQuota: 2e12, transferQuota: 4e12 },
        { id: 'pro-iii', name: 'Pro III', storageQuota: 4e12, transferQuota: 4e12 },
      ],
    });
  });

  it('refuses to start with a catalogue whose default is missing or whose ids repeat', async () => {
    const plan = { id: 'a', name: 'A', storageQuota: 1, transferQuota: 1 };
    const base = { ...DEFAULT_CONFIG, dataDir: `${server.dataDir}-never`, logLevel: 'silent' };
    await expect(buildApp({ ...base, plans: { default: 'b', plans: [plan] } })).rejects.toThrow(
      'default plan "b" is not among the plans',
    );
    await expect(
      buildApp({ ...base, plans: { default: 'a', plans: [plan, plan] } }),
    ).rejects.toThrow('plan "a" is listed twice');
    expect(await filesUnder(base.dataDir)).toEqual([]);
  });

  it("puts a new account on the default plan and reports the month's reset", async () => {
    const account = await signUp(server);
    expect(await usage(account)).toEqual({
      storageUsed: 0,
      storageQuota: 1e9,
      transferUsed: 0,
      transferQuota: 1e9,
      transferResetsAt: Date.UTC(2026, 11, 1),
      plan: { id: 'tiny', name: 'Tiny' },
    });
  });

  it('refuses an upload past the quota with the figures, counting reservations', async () => {
    const account = await signUp(server);
    expect((await openUpload(account, account.rootId, 690_000_000)).status).toBe(201);
    const used = cipherSize(690_000_000);
    const needed = cipherSize(1_200_000_000);
    const refused = await openUpload(account, account.rootId, 1_200_000_000);
    expect(refused.status).toBe(507);
    check(ErrorSchema, refused.body);
    expect(refused.body.error).toEqual({
      code: 'quota_exceeded',
      message: 'Not enough storage: this upload needs 1.20 GB and 0.31 GB of your 1 GB are free.',
      details: { needed, used, quota: 1e9 },
    });
    expect((await usage(account)).storageUsed).toBe(used);
    // What still fits is accepted: the quota is a limit, not a guess.
    const free = 1e9 - used;
    const fits = free - (cipherSize(free) - free);
    expect(cipherSize(fits)).toBeLessThanOrEqual(free);
    expect((await openUpload(account, account.rootId, fits)).status).toBe(201);
  });
});

describe('usage breakdown', () => {
  it('splits storage into top folders, files in the root, the bin and open uploads', async () => {
    const account = await signUp(server);
    const rootFile = fakeChunks(500);
    await uploadFile(server, account, account.rootId, rootFile);
    const photos = await createFolder(server, account, account.rootId);
    const trips = await createFolder(server, account, photos);
    const inPhotos = fakeChunks(300);
    const inTrips = fakeChunks(200);
    const binnedHere = fakeChunks(100);
    await uploadFile(server, account, photos, inPhotos);
    await uploadFile(server, account, trips, inTrips);
    const binnedFile = await uploadFile(server, account, trips, binnedHere);
    const empty = await createFolder(server, account, account.rootId);
    const old = await createFolder(server, account, account.rootId);
    const inOld = fakeChunks(700);
    await uploadFile(server, account, old, inOld);
    await call(server, 'DELETE', `/api/v1/nodes/${old}`, { token: account.token });
    await call(server, 'DELETE', `/api/v1/nodes/${binnedFile}`, { token: account.token });
    await openUpload(account, photos, 1000);

    const parts = await breakdown(account);
    expect(parts).toEqual({
      folders: [
        { nodeId: photos, bytes: bytesOf(inPhotos) + bytesOf(inTrips) },
        { nodeId: empty, bytes: 0 },
      ],
      files: bytesOf(rootFile),
      trash: bytesOf(inOld) + bytesOf(binnedHere),
      uploading: cipherSize(1000),
    });
    const total =
      parts.folders.reduce((sum, f) => sum + f.bytes, 0) +
      parts.files +
      parts.trash +
      parts.uploading;
    expect((await usage(account)).storageUsed).toBe(total);
  });

  it('is private to the session', async () => {
    expect((await call(server, 'GET', '/api/v1/account/usage')).status).toBe(401);
  });
});

describe('purging the bin', () => {
  it('deletes a binned folder with its subtree, frees its storage at once and removes its blobs', async () => {
    const account = await signUp(server);
    const kept = fakeChunks(400);
    await uploadFile(server, account, account.rootId, kept);
    const folder = await createFolder(server, account, account.rootId);
    const inner = await createFolder(server, account, folder);
    const a = await uploadFile(server, account, folder, fakeChunks(300));
    const b = await uploadFile(server, account, inner, fakeChunks(200));
    const pending = await openUpload(account, inner, 5000);
    const blobsBefore = await blobCount();
    await call(server, 'DELETE', `/api/v1/nodes/${folder}`, { token: account.token });
    // In the bin, it still counts.
    expect((await usage(account)).storageUsed).toBeGreaterThan(bytesOf(kept));

    const purged = await call(server, 'DELETE', `/api/v1/trash/${folder}`, {
      token: account.token,
    });
    expect(purged.status).toBe(204);
    expect((await usage(account)).storageUsed).toBe(bytesOf(kept));
    expect(await blobCount()).toBe(blobsBefore - 2);
    for (const id of [folder, inner, a, b]) {
      const gone = await call(server, 'GET', `/api/v1/nodes/${id}`, { token: account.token });
      expect(gone.status).toBe(404);
    }
    const upload = await call(server, 'GET', `/api/v1/uploads/${pending.body.uploadId}`, {
      token: account.token,
    });
    expect(upload.status).toBe(404);
    const trash = await call<{ nodes: unknown[] }>(server, 'GET', '/api/v1/trash', {
      token: account.token,
    });
    expect(trash.body.nodes).toEqual([]);
  });

  it('refuses what is not in the bin (409) and what is not yours (404), changing nothing', async () => {
    const alice = await signUp(server);
    const bob = await signUp(server);
    const live = await uploadFile(server, alice, alice.rootId, fakeChunks(100));
    const binned = await uploadFile(server, alice, alice.rootId, fakeChunks(100));
    await call(server, 'DELETE', `/api/v1/nodes/${binned}`, { token: alice.token });
    const before = await usage(alice);

    const notBinned = await call<ErrorBody>(server, 'DELETE', `/api/v1/trash/${live}`, {
      token: alice.token,
    });
    expect(notBinned.status).toBe(409);
    expect(notBinned.body.error.code).toBe('conflict');
    const root = await call(server, 'DELETE', `/api/v1/trash/${alice.rootId}`, {
      token: alice.token,
    });
    expect(root.status).toBe(409);
    const foreign = await call<ErrorBody>(server, 'DELETE', `/api/v1/trash/${binned}`, {
      token: bob.token,
    });
    expect(foreign.status).toBe(404);
    const unknown = await call(server, 'DELETE', `/api/v1/trash/${newId()}`, { token: bob.token });
    expect(unknown.status).toBe(404);
    const emptied = await call(server, 'DELETE', '/api/v1/trash', { token: bob.token });
    expect(emptied.status).toBe(204);

    expect(await usage(alice)).toEqual(before);
    const node = await call(server, 'GET', `/api/v1/nodes/${binned}`, { token: alice.token });
    expect(node.status).toBe(200);
  });

  // The disk store's layout is moved by hand here; the bucket's reconciliation is in s3-blob-store.test.ts.
  it.runIf(TEST_BLOB_STORE === 'disk')(
    'leaves only unreferenced blobs if it stops between rows and files; start-up removes them',
    async () => {
      const own = await startServer();
      try {
        const account = await signUp(own);
        const file = await uploadFile(own, account, account.rootId, fakeChunks(100));
        await call(own, 'DELETE', `/api/v1/nodes/${file}`, { token: account.token });
        const blobs = path.join(own.dataDir, 'blobs');
        const saved = path.join(own.dataDir, 'saved-blobs');
        // The rows go, the blobs stay: what a stop right after the purge transaction leaves.
        await cp(blobs, saved, { recursive: true });
        await call(own, 'DELETE', `/api/v1/trash/${file}`, { token: account.token });
        await own.app.close();
        await rm(blobs, { recursive: true });
        await rename(saved, blobs);
        expect(await filesUnder(blobs)).toHaveLength(1);

        const restarted = await buildApp({
          ...DEFAULT_CONFIG,
          dataDir: own.dataDir,
          logLevel: 'silent',
        });
        await restarted.close();
        expect(await filesUnder(blobs)).toEqual([]);
      } finally {
        await rm(own.dataDir, { recursive: true, force: true });
      }
    },
  );

  it('empties the whole bin in one request', async () => {
    const account = await signUp(server);
    const kept = fakeChunks(150);
    await uploadFile(server, account, account.rootId, kept);
    const folder = await createFolder(server, account, account.rootId);
    await uploadFile(server, account, folder, fakeChunks(250));
    const loose = await uploadFile(server, account, account.rootId, fakeChunks(350));
    const blobsBefore = await blobCount();
    await call(server, 'DELETE', `/api/v1/nodes/${folder}`, { token: account.token });
    await call(server, 'DELETE', `/api/v1/nodes/${loose}`, { token: account.token });

    const emptied = await call(server, 'DELETE', '/api/v1/trash', { token: account.token });
    expect(emptied.status).toBe(204);
    expect((await usage(account)).storageUsed).toBe(bytesOf(kept));
    expect((await breakdown(account)).trash).toBe(0);
    expect(await blobCount()).toBe(blobsBefore - 2);
  });
});
