import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account } from '@coffre/core/protocol';
import {
  blobOf,
  call,
  createFolder,
  fakeChunks,
  randomB64,
  sha256,
  signUp,
  startServer,
  storesOf,
  TEST_DATABASE,
  testPlans,
  uploadFile,
  type TestAccount,
  uploadRequest,
  type TestServer,
} from './harness';
import { createTestDatabase } from './postgres-databases';

// Requests that race for the same upload or the same quota. On PostgreSQL (integration-scale)
// they go to two server nodes sharing the database and the bucket, as behind a load balancer;
// on SQLite both "nodes" are one server (one process owns the file).

const QUOTA = 100_000;
let nodeA: TestServer;
let nodeB: TestServer;

beforeAll(async () => {
  nodeA = await startServer({ plans: testPlans({ storage: QUOTA }) });
  nodeB =
    TEST_DATABASE === 'postgres'
      ? await startServer({ ...storesOf(nodeA), plans: testPlans({ storage: QUOTA }) })
      : nodeA;
});

afterAll(async () => {
  if (nodeB !== nodeA) await nodeB.app.close();
  await nodeA.close();
});

const node = (i: number) => (i % 2 === 0 ? nodeA : nodeB);

async function storageUsed(account: TestAccount): Promise<number> {
  const reply = await call<Account>(nodeA, 'GET', '/api/v1/account', { token: account.token });
  return reply.body.usage.storageUsed;
}

async function open(server: TestServer, account: TestAccount, chunks: Buffer[]) {
  return call<{ uploadId: string }>(server, 'POST', '/api/v1/uploads', {
    token: account.token,
    json: uploadRequest(
      account.rootId,
      chunks.reduce((sum, c) => sum + c.length, 0),
      chunks.length,
    ),
  });
}

function put(server: TestServer, account: TestAccount, uploadId: string, bytes: Buffer) {
  return call(server, 'PUT', `/api/v1/uploads/${uploadId}/chunks/0`, {
    token: account.token,
    headers: { 'content-type': 'application/octet-stream', 'coffre-chunk-sha256': sha256(bytes) },
    body: blobOf(bytes),
  });
}

function commit(server: TestServer, account: TestAccount, uploadId: string, chunks: Buffer[]) {
  return call(server, 'POST', `/api/v1/uploads/${uploadId}/commit`, {
    token: account.token,
    json: { manifest: randomB64(200), chunks: chunks.map(sha256) },
  });
}

describe('races across nodes', () => {
  it('twenty uploads opened at once on two nodes never reserve past the quota', async () => {
    const account = await signUp(nodeA);
    const size = 9_041; // eleven of these fit in 100,000 bytes; twenty do not
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => open(node(i), account, fakeChunks(size - 41))),
    );
    const accepted = replies.filter((r) => r.status === 201).length;
    expect(accepted).toBe(Math.floor(QUOTA / size));
    expect(replies.filter((r) => r.status === 507)).toHaveLength(20 - accepted);
    expect(await storageUsed(account)).toBe(accepted * size);
  });

  it('two commits of one upload at once: one file, one settlement', async () => {
    const account = await signUp(nodeA);
    for (let round = 0; round < 5; round++) {
      const chunks = fakeChunks(500);
      const { uploadId } = (await open(nodeA, account, chunks)).body;
      expect((await put(nodeA, account, uploadId, chunks[0]!)).status).toBe(201);
      const [first, second] = await Promise.all([
        commit(nodeA, account, uploadId, chunks),
        commit(nodeB, account, uploadId, chunks),
      ]);
      expect([first.status, second.status].sort()).toEqual([201, 404]);
    }
    expect(await storageUsed(account)).toBe(5 * 541);
  });

  it('a chunk replaced while the upload commits never changes the committed file', async () => {
    const account = await signUp(nodeA);
    for (let round = 0; round < 5; round++) {
      const chunks = fakeChunks(500);
      const other = fakeChunks(500);
      const { uploadId } = (await open(nodeA, account, chunks)).body;
      expect((await put(nodeA, account, uploadId, chunks[0]!)).status).toBe(201);
      const [committed, replaced] = await Promise.all([
        commit(nodeA, account, uploadId, chunks),
        put(nodeB, account, uploadId, other[0]!),
      ]);
      if (committed.status !== 201) continue; // the replacement came first: a refused commit
      expect(replaced.status === 404 || replaced.status === 201).toBe(true);
      const nodeId = (committed.body as { node: { id: string } }).node.id;
      const served = await fetch(`${nodeB.url}/api/v1/files/${nodeId}/chunks/0`, {
        headers: { authorization: `Bearer ${account.token}` },
      });
      expect(Buffer.from(await served.arrayBuffer()).equals(chunks[0]!)).toBe(true);
    }
  });

  it.runIf(TEST_DATABASE === 'postgres')(
    'three nodes starting together on an empty database migrate it once',
    async () => {
      const databaseUrl = await createTestDatabase();
      // One bucket and one database; each node a data dir of its own, as deployed.
      const { blobStore, redis } = storesOf(nodeA);
      const nodes = await Promise.all(
        [1, 2, 3].map(() => startServer({ blobStore, redis, databaseUrl })),
      );
      try {
        const account = await signUp(nodes[0]!);
        const reply = await call(nodes[2]!, 'GET', '/api/v1/account', { token: account.token });
        expect(reply.status).toBe(200);
      } finally {
        for (const started of nodes) await started.close();
      }
    },
  );

  it('a folder purged on two nodes at once, with an upload open into it, frees its space once', async () => {
    const account = await signUp(nodeA);
    for (let round = 0; round < 3; round++) {
      const folder = await createFolder(nodeA, account, account.rootId);
      await uploadFile(nodeA, account, folder, fakeChunks(3_000));
      const chunks = fakeChunks(2_000);
      const { uploadId } = (
        await call<{ uploadId: string }>(nodeA, 'POST', '/api/v1/uploads', {
          token: account.token,
          json: uploadRequest(folder, chunks[0]!.length, 1),
        })
      ).body;
      await call(nodeA, 'DELETE', `/api/v1/nodes/${folder}`, { token: account.token });
      const [first, second, cancel] = await Promise.all([
        call(nodeA, 'DELETE', `/api/v1/trash/${folder}`, { token: account.token }),
        call(nodeB, 'DELETE', `/api/v1/trash/${folder}`, { token: account.token }),
        call(nodeB, 'DELETE', `/api/v1/uploads/${uploadId}`, { token: account.token }),
      ]);
      expect([first.status, second.status]).toContain(204);
      expect([204, 404]).toContain(cancel.status);
    }
    expect(await storageUsed(account)).toBe(0);
  });

  it('a cancel on each node at once releases the reservation once', async () => {
    const account = await signUp(nodeA);
    for (let round = 0; round < 5; round++) {
      const { uploadId } = (await open(nodeA, account, fakeChunks(5_000))).body;
      const cancels = await Promise.all([
        call(nodeA, 'DELETE', `/api/v1/uploads/${uploadId}`, { token: account.token }),
        call(nodeB, 'DELETE', `/api/v1/uploads/${uploadId}`, { token: account.token }),
      ]);
      expect(cancels.some((reply) => reply.status === 204)).toBe(true);
    }
    expect(await storageUsed(account)).toBe(0);
  });
});
