import path from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  check,
  CreateUploadResponse,
  NodeList,
  NodeResponse,
  UploadStatus,
  type Account,
  type ErrorBody,
} from '@coffre/core/protocol';
import {
  blobOf,
  call,
  createFolder,
  eventually,
  fakeChunks,
  filesUnder,
  newId,
  randomB64,
  sealedKey,
  sealedMeta,
  sha256,
  signUp,
  startServer,
  storesOf,
  TEST_BLOB_STORE,
  testPlans,
  type TestAccount,
  uploadRequest,
  type TestServer,
} from './harness';
import { streamingPut, truncatedPut } from './raw-http';

let server: TestServer;
let alice: TestAccount;
let bob: TestAccount;

beforeAll(async () => {
  server = await startServer({ sweepIntervalMs: 50 });
  alice = await signUp(server);
  bob = await signUp(server);
});
afterAll(async () => {
  await server.close();
});

const total = (chunks: Buffer[]) => chunks.reduce((sum, c) => sum + c.length, 0);

async function open(account: TestAccount, chunks: Buffer[], parentId = account.rootId) {
  const nodeId = newId();
  const reply = await call(server, 'POST', '/api/v1/uploads', {
    token: account.token,
    json: {
      nodeId,
      parentId,
      wrappedKey: sealedKey(),
      encMeta: sealedMeta(),
      revision: 1,
      wrappedContentKey: sealedKey(),
      size: total(chunks),
      chunkCount: chunks.length,
    },
  });
  expect(reply.status).toBe(201);
  return { nodeId, ...check(CreateUploadResponse, reply.body) };
}

function put(account: TestAccount, uploadId: string, index: number, bytes: Buffer, hash?: string) {
  return call<ErrorBody>(server, 'PUT', `/api/v1/uploads/${uploadId}/chunks/${index}`, {
    token: account.token,
    headers: {
      'content-type': 'application/octet-stream',
      'coffre-chunk-sha256': hash ?? sha256(bytes),
    },
    body: blobOf(bytes),
  });
}

function commit(account: TestAccount, uploadId: string, chunks: Buffer[]) {
  return call(server, 'POST', `/api/v1/uploads/${uploadId}/commit`, {
    token: account.token,
    json: { manifest: randomB64(200), chunks: chunks.map(sha256) },
  });
}

async function usage(account: TestAccount) {
  const reply = await call<Account>(server, 'GET', '/api/v1/account', { token: account.token });
  return reply.body.usage.storageUsed;
}

async function status(account: TestAccount, uploadId: string) {
  return call(server, 'GET', `/api/v1/uploads/${uploadId}`, { token: account.token });
}

async function listed(account: TestAccount, folderId = account.rootId) {
  const reply = await call(server, 'GET', `/api/v1/nodes/${folderId}/children`, {
    token: account.token,
  });
  return check(NodeList, reply.body).nodes.map((n) => n.id);
}

const tempFiles = () => filesUnder(path.join(server.dataDir, 'tmp'));

describe('an upload from start to download', () => {
  it('takes chunks in any order, once each, and shows the file only after commit', async () => {
    const account = await signUp(server);
    const chunks = fakeChunks(4 * 1024 * 1024 + 1000);
    expect(chunks.map((c) => c.length)).toEqual([4194345, 1041]);
    const upload = await open(account, chunks);
    expect(upload.expiresAt).toBe(server.clock.time + 24 * 60 * 60 * 1000);
    expect(await usage(account)).toBe(total(chunks));

    const second = await put(account, upload.uploadId, 1, chunks[1]!);
    expect(second.status).toBe(201);
    expect(second.body).toEqual({ index: 1, id: sha256(chunks[1]!), size: 1041 });
    expect(await listed(account)).not.toContain(upload.nodeId);
    const first = await put(account, upload.uploadId, 0, chunks[0]!);
    expect(first.status).toBe(201);

    const again = await put(account, upload.uploadId, 1, chunks[1]!);
    expect(again.status).toBe(200);
    const state = check(UploadStatus, (await status(account, upload.uploadId)).body);
    expect(state).toEqual({
      uploadId: upload.uploadId,
      nodeId: upload.nodeId,
      chunkCount: 2,
      size: total(chunks),
      received: [0, 1],
      expiresAt: upload.expiresAt,
    });

    const swapped = await call<ErrorBody>(
      server,
      'POST',
      `/api/v1/uploads/${upload.uploadId}/commit`,
      {
        token: account.token,
        json: { manifest: randomB64(200), chunks: [...chunks].reverse().map(sha256) },
      },
    );
    expect(swapped.status).toBe(409);
    expect(swapped.body.error.code).toBe('conflict');

    const done = await commit(account, upload.uploadId, chunks);
    expect(done.status).toBe(201);
    const { node } = check(NodeResponse, done.body);
    expect(node).toMatchObject({
      id: upload.nodeId,
      parentId: account.rootId,
      type: 'file',
      file: { revision: 1, size: total(chunks), chunkCount: 2 },
    });
    expect(await listed(account)).toContain(upload.nodeId);
    expect((await status(account, upload.uploadId)).status).toBe(404);
    expect(await usage(account)).toBe(total(chunks));

    // The file's chunks download byte for byte.
    const manifest = await call<{ chunks: unknown[]; size: number; revision: number }>(
      server,
      'GET',
      `/api/v1/files/${upload.nodeId}`,
      { token: account.token },
    );
    expect(manifest.status).toBe(200);
    expect(manifest.body).toMatchObject({
      nodeId: upload.nodeId,
      revision: 1,
      size: total(chunks),
    });
    expect(manifest.body.chunks).toEqual([
      { index: 0, id: sha256(chunks[0]!), size: 4194345 },
      { index: 1, id: sha256(chunks[1]!), size: 1041 },
    ]);
    const response = await fetch(`${server.url}/api/v1/files/${upload.nodeId}/chunks/0`, {
      headers: { authorization: `Bearer ${account.token}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe('4194345');
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect(response.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    expect(Buffer.from(await response.arrayBuffer()).equals(chunks[0]!)).toBe(true);

    const range = await fetch(`${server.url}/api/v1/files/${upload.nodeId}/chunks/1`, {
      headers: { authorization: `Bearer ${account.token}`, range: 'bytes=100-199' },
    });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe('bytes 100-199/1041');
    expect(range.headers.get('content-length')).toBe('100');
    expect(Buffer.from(await range.arrayBuffer()).equals(chunks[1]!.subarray(100, 200))).toBe(true);
    const beyond = await fetch(`${server.url}/api/v1/files/${upload.nodeId}/chunks/1`, {
      headers: { authorization: `Bearer ${account.token}`, range: 'bytes=5000-6000' },
    });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe('bytes */1041');
    expect(beyond.headers.get('cache-control')).toBe('no-store');
    expect(((await beyond.json()) as ErrorBody).error.code).toBe('range_not_satisfiable');

    for (const pathName of [
      `/api/v1/files/${upload.nodeId}/chunks/2`,
      `/api/v1/files/${account.rootId}`,
      `/api/v1/files/${newId()}`,
    ]) {
      expect((await call(server, 'GET', pathName, { token: account.token })).status).toBe(404);
    }
    // Someone else sees nothing of it.
    for (const pathName of [
      `/api/v1/files/${upload.nodeId}`,
      `/api/v1/files/${upload.nodeId}/chunks/0`,
    ]) {
      expect((await call(server, 'GET', pathName, { token: bob.token })).status).toBe(404);
    }
  });

  it('lets a different chunk replace one before commit, and keeps only the newer one', async () => {
    const chunks = fakeChunks(500);
    const replacement = fakeChunks(500);
    const upload = await open(alice, chunks);
    expect((await put(alice, upload.uploadId, 0, chunks[0]!)).status).toBe(201);
    expect((await put(alice, upload.uploadId, 0, replacement[0]!)).status).toBe(201);
    const onDisk = await server.storedChunks();
    expect(onDisk.filter((f) => f.includes(upload.uploadId))).toHaveLength(1);
    expect((await commit(alice, upload.uploadId, chunks)).status).toBe(409);
    expect((await commit(alice, upload.uploadId, replacement)).status).toBe(201);
    const bytes = await fetch(`${server.url}/api/v1/files/${upload.nodeId}/chunks/0`, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(Buffer.from(await bytes.arrayBuffer()).equals(replacement[0]!)).toBe(true);
    // After commit the upload is closed to further chunks.
    expect((await put(alice, upload.uploadId, 0, chunks[0]!)).status).toBe(404);
  });

  it('refuses to commit while chunks are missing, naming them', async () => {
    const chunks = fakeChunks(3 * 4 * 1024 * 1024 + 10);
    const upload = await open(alice, chunks);
    expect((await put(alice, upload.uploadId, 3, chunks[3]!)).status).toBe(201);
    const reply = await call<ErrorBody>(
      server,
      'POST',
      `/api/v1/uploads/${upload.uploadId}/commit`,
      {
        token: alice.token,
        json: { manifest: randomB64(200), chunks: chunks.map(sha256) },
      },
    );
    expect(reply.status).toBe(409);
    expect(reply.body.error).toEqual({
      code: 'incomplete_upload',
      message: 'missing chunks: 0, 1, 2',
    });
    expect(await listed(alice)).not.toContain(upload.nodeId);
    const wrongCount = await call(server, 'POST', `/api/v1/uploads/${upload.uploadId}/commit`, {
      token: alice.token,
      json: { manifest: randomB64(200), chunks: chunks.slice(1).map(sha256) },
    });
    expect(wrongCount.status).toBe(400);
    await call(server, 'DELETE', `/api/v1/uploads/${upload.uploadId}`, { token: alice.token });
  });

  it('refuses a manifest larger than the chunk count allows', async () => {
    const chunks = fakeChunks(10);
    const upload = await open(alice, chunks);
    await put(alice, upload.uploadId, 0, chunks[0]!);
    const reply = await call(server, 'POST', `/api/v1/uploads/${upload.uploadId}/commit`, {
      token: alice.token,
      json: { manifest: randomB64(64 + 4096 + 1), chunks: chunks.map(sha256) },
    });
    expect(reply.status).toBe(400);
  });
});

describe('chunk bodies that are wrong', () => {
  it('refuses a hash mismatch with 422 and keeps nothing', async () => {
    const chunks = fakeChunks(2000);
    const upload = await open(alice, chunks);
    const reply = await put(alice, upload.uploadId, 0, chunks[0]!, sha256(Buffer.from('other')));
    expect(reply.status).toBe(422);
    expect(reply.body.error.code).toBe('integrity');
    expect(check(UploadStatus, (await status(alice, upload.uploadId)).body).received).toEqual([]);
    expect(await tempFiles()).toEqual([]);
  });

  it('cuts off a body over the chunk size with 413, with or without Content-Length', async () => {
    const chunks = fakeChunks(2000);
    const upload = await open(alice, chunks);
    const url = `${server.url}/api/v1/uploads/${upload.uploadId}/chunks/0`;
    const headers = {
      authorization: `Bearer ${alice.token}`,
      'content-type': 'application/octet-stream',
      'coffre-chunk-sha256': sha256(chunks[0]!),
    };
    const declared = await streamingPut(
      url,
      { ...headers, 'content-length': String(5 * 1024 * 1024) },
      [Buffer.alloc(64 * 1024)],
    );
    expect(declared.status === 413 || declared.status === 'reset').toBe(true);
    if (declared.status === 413)
      expect(JSON.parse(declared.body).error.code).toBe('payload_too_large');

    // Chunked encoding: no length up front, so the limit is enforced while streaming.
    const pieces = Array.from({ length: 16 }, () => Buffer.alloc(64 * 1024, 7));
    const streamed = await streamingPut(url, headers, pieces);
    expect(streamed.status === 413 || streamed.status === 'reset').toBe(true);
    if (streamed.status === 413)
      expect(JSON.parse(streamed.body).error.code).toBe('payload_too_large');

    const short = await put(alice, upload.uploadId, 0, chunks[0]!.subarray(0, 100));
    expect(short.status).toBe(400);
    await eventually(async () => (await tempFiles()).length === 0);
    expect(check(UploadStatus, (await status(alice, upload.uploadId)).body).received).toEqual([]);
    expect((await call(server, 'GET', '/api/v1/health')).status).toBe(200);
  });

  it('drops a body that stops short of its Content-Length', async () => {
    const chunks = fakeChunks(2000);
    const upload = await open(alice, chunks);
    const { port } = new URL(server.url);
    await truncatedPut(
      '127.0.0.1',
      Number(port),
      `/api/v1/uploads/${upload.uploadId}/chunks/0`,
      {
        authorization: `Bearer ${alice.token}`,
        'content-type': 'application/octet-stream',
        'coffre-chunk-sha256': sha256(chunks[0]!),
      },
      chunks[0]!.length,
      chunks[0]!.subarray(0, 500),
    );
    await eventually(async () => (await tempFiles()).length === 0);
    expect(check(UploadStatus, (await status(alice, upload.uploadId)).body).received).toEqual([]);
    expect((await put(alice, upload.uploadId, 0, chunks[0]!)).status).toBe(201);
  });

  it('refuses other content types, a missing hash and indices out of range', async () => {
    const chunks = fakeChunks(100);
    const upload = await open(alice, chunks);
    const base = `/api/v1/uploads/${upload.uploadId}/chunks`;
    const json = await call<ErrorBody>(server, 'PUT', `${base}/0`, {
      token: alice.token,
      headers: { 'coffre-chunk-sha256': sha256(chunks[0]!) },
      json: { not: 'bytes' },
    });
    expect(json.status).toBe(415);
    expect(json.body.error.code).toBe('unsupported_media_type');
    const noHash = await call(server, 'PUT', `${base}/0`, {
      token: alice.token,
      headers: { 'content-type': 'application/octet-stream' },
      body: blobOf(chunks[0]!),
    });
    expect(noHash.status).toBe(400);
    for (const index of ['1', '01', '-1', '1e0', '99999999999']) {
      const reply = await call(server, 'PUT', `${base}/${index}`, {
        token: alice.token,
        headers: {
          'content-type': 'application/octet-stream',
          'coffre-chunk-sha256': sha256(chunks[0]!),
        },
        body: blobOf(chunks[0]!),
      });
      expect(reply.status).toBe(400);
    }
  });
});

describe('opening an upload', () => {
  const request = (parentId: string, overrides: object = {}) => ({
    nodeId: newId(),
    parentId,
    wrappedKey: sealedKey(),
    encMeta: sealedMeta(),
    revision: 1,
    wrappedContentKey: sealedKey(),
    size: 141,
    chunkCount: 1,
    ...overrides,
  });
  const create = (account: TestAccount, json: object) =>
    call<ErrorBody>(server, 'POST', '/api/v1/uploads', { token: account.token, json });

  it('checks sizes against the chunk arithmetic', async () => {
    for (const overrides of [
      { size: 40, chunkCount: 1 },
      { size: 4194346, chunkCount: 1 },
      { size: 4194345 + 41, chunkCount: 2 },
      { size: 100, chunkCount: 0 },
      { size: 100, chunkCount: 2 ** 28 + 1 },
      { revision: 2 },
    ]) {
      expect((await create(alice, request(alice.rootId, overrides))).status).toBe(400);
    }
  });

  it('needs a live folder of the owner as parent and an unused node id', async () => {
    const folder = await createFolder(server, alice, alice.rootId);
    expect((await create(alice, request(alice.rootId, { nodeId: folder }))).status).toBe(409);
    expect((await create(bob, request(folder))).status).toBe(404);
    expect((await create(alice, request(newId()))).status).toBe(404);

    const chunks = fakeChunks(100);
    const file = await open(alice, chunks);
    expect((await create(alice, request(alice.rootId, { nodeId: file.nodeId }))).status).toBe(409);
    await put(alice, file.uploadId, 0, chunks[0]!);
    await commit(alice, file.uploadId, chunks);
    const intoFile = await create(alice, request(file.nodeId));
    expect(intoFile.status).toBe(409);
    // Nor can a folder move into a file.
    const move = await call(server, 'PATCH', `/api/v1/nodes/${folder}`, {
      token: alice.token,
      json: { encMeta: sealedMeta(), parentId: file.nodeId, wrappedKey: sealedKey() },
    });
    expect(move.status).toBe(409);

    await call(server, 'DELETE', `/api/v1/nodes/${folder}`, { token: alice.token });
    expect((await create(alice, request(folder))).status).toBe(409);
  });

  it('keeps uploads private to their owner', async () => {
    const chunks = fakeChunks(100);
    const upload = await open(alice, chunks);
    const id = upload.uploadId;
    const attempts = [
      call(server, 'GET', `/api/v1/uploads/${id}`, { token: bob.token }),
      put(bob, id, 0, chunks[0]!),
      commit(bob, id, chunks),
      call(server, 'DELETE', `/api/v1/uploads/${id}`, { token: bob.token }),
    ];
    for (const reply of await Promise.all(attempts)) expect(reply.status).toBe(404);
    expect((await status(alice, id)).status).toBe(200);
  });
});

describe('cancel and expiry', () => {
  it('cancelling releases the reservation and deletes the chunks', async () => {
    const account = await signUp(server);
    const chunks = fakeChunks(3000);
    const upload = await open(account, chunks);
    await put(account, upload.uploadId, 0, chunks[0]!);
    expect(await usage(account)).toBe(3041);
    expect((await server.storedChunks()).some((f) => f.includes(upload.uploadId))).toBe(true);

    const reply = await call(server, 'DELETE', `/api/v1/uploads/${upload.uploadId}`, {
      token: account.token,
    });
    expect(reply.status).toBe(204);
    expect(await usage(account)).toBe(0);
    expect((await server.storedChunks()).some((f) => f.includes(upload.uploadId))).toBe(false);
    expect((await status(account, upload.uploadId)).status).toBe(404);
    expect(await listed(account)).not.toContain(upload.nodeId);
  });

  it('sweeps an upload left past its expiry: rows, chunks and reservation', async () => {
    const account = await signUp(server);
    const chunks = fakeChunks(3000);
    const upload = await open(account, chunks);
    await put(account, upload.uploadId, 0, chunks[0]!);
    expect(await usage(account)).toBe(3041);

    server.clock.advance(24 * 60 * 60 * 1000 + 1);
    expect((await status(account, upload.uploadId)).status).toBe(404);
    await eventually(async () => (await usage(account)) === 0);
    await eventually(
      async () => !(await server.storedChunks()).some((f) => f.includes(upload.uploadId)),
    );
    expect(await listed(account)).not.toContain(upload.nodeId);
    // The node id is free again.
    const reuse = await call(server, 'POST', '/api/v1/folders', {
      token: account.token,
      json: {
        id: upload.nodeId,
        parentId: account.rootId,
        wrappedKey: sealedKey(),
        encMeta: sealedMeta(),
      },
    });
    expect(reuse.status).toBe(201);
  });
});

describe('quota', () => {
  it('never lets parallel uploads reserve past the quota together', async () => {
    const limited = await startServer({ plans: testPlans({ storage: 10 * 141 + 100 }) });
    try {
      const account = await signUp(limited);
      const attempts = Array.from({ length: 20 }, () =>
        call<ErrorBody>(limited, 'POST', '/api/v1/uploads', {
          token: account.token,
          json: uploadRequest(account.rootId, 141, 1),
        }),
      );
      const replies = await Promise.all(attempts);
      expect(replies.filter((r) => r.status === 201)).toHaveLength(10);
      const refused = replies.filter((r) => r.status !== 201);
      expect(refused).toHaveLength(10);
      for (const r of refused) {
        expect(r.body.error.code).toBe('quota_exceeded');
        expect(r.body.error.details).toEqual({ needed: 141, used: 1410, quota: 1510 });
      }
      const account2 = await call<Account>(limited, 'GET', '/api/v1/account', {
        token: account.token,
      });
      expect(account2.body.usage).toMatchObject({
        storageUsed: 1410,
        storageQuota: 1510,
        plan: { id: 'tiny', name: 'Tiny' },
      });
    } finally {
      await limited.close();
    }
  });
});

describe('start-up', () => {
  it('removes temp files and unreferenced chunks left by a crash, keeping live uploads', async () => {
    const first = await startServer();
    const account = await signUp(first);
    const chunks = fakeChunks(100);
    const nodeId = newId();
    const created = await call<{ uploadId: string }>(first, 'POST', '/api/v1/uploads', {
      token: account.token,
      json: {
        nodeId,
        parentId: account.rootId,
        wrappedKey: sealedKey(),
        encMeta: sealedMeta(),
        revision: 1,
        wrappedContentKey: sealedKey(),
        size: 141,
        chunkCount: 1,
      },
    });
    const uploadId = created.body.uploadId;
    const stored = await call(first, 'PUT', `/api/v1/uploads/${uploadId}/chunks/0`, {
      token: account.token,
      headers: {
        'content-type': 'application/octet-stream',
        'coffre-chunk-sha256': sha256(chunks[0]!),
      },
      body: blobOf(chunks[0]!),
    });
    expect(stored.status).toBe(201);
    await first.app.close();

    const stray = path.join(first.dataDir, 'tmp', 'crashed.part');
    await writeFile(stray, 'half a chunk');
    // A chunk directory no upload knows (the disk store's layout; s3-blob-store.test.ts covers
    // listing and removing content in a bucket).
    const orphanId = newId();
    if (TEST_BLOB_STORE === 'disk') {
      const fan = Buffer.from(orphanId, 'base64url').toString('hex', 0, 1);
      const orphan = path.join(first.dataDir, 'blobs', fan, orphanId);
      await mkdir(orphan, { recursive: true });
      await writeFile(path.join(orphan, '0-x'), 'left over');
    }

    const second = await startServer({ ...storesOf(first), now: first.clock.now });
    try {
      const chunksLeft = await second.storedChunks();
      expect(chunksLeft.some((f) => f.startsWith(`${uploadId}/`))).toBe(true);
      expect(chunksLeft.some((f) => f.startsWith(`${orphanId}/`))).toBe(false);
      expect(await filesUnder(path.join(second.dataDir, 'tmp'))).toEqual([]);
      const reply = await call(second, 'GET', `/api/v1/uploads/${uploadId}`, {
        token: account.token,
      });
      expect(check(UploadStatus, reply.body).received).toEqual([0]);
    } finally {
      await second.close();
    }
  });
});
