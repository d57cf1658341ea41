import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHUNK_OVERHEAD } from '@coffre/core/format';
import {
  check,
  DOWNLOAD_GRANT_HEADER,
  ErrorBody as ErrorSchema,
  OwnerLinkList,
  type Account,
  type ErrorBody,
} from '@coffre/core/protocol';
import {
  call,
  eventually,
  fakeChunks,
  randomB64,
  signUp,
  startServer,
  testPlans,
  uploadFile,
  type TestAccount,
  type TestServer,
} from './harness';
import { drawLinkId } from './link-ids';

// Every file here is one chunk of this many ciphertext bytes; the monthly quota is two of them.
const PLAIN = 1000;
const CHUNK = PLAIN + CHUNK_OVERHEAD;
const QUOTA = 2 * CHUNK;

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ plans: testPlans({ transfer: QUOTA }) });
});
afterAll(async () => {
  await server.close();
});

async function usage(account: TestAccount) {
  return (await call<Account>(server, 'GET', '/api/v1/account', { token: account.token })).body
    .usage;
}

/** Unsent bytes of a reservation are given back when the response ends: wait for that. */
async function expectTransfer(account: TestAccount, bytes: number) {
  await eventually(async () => (await usage(account)).transferUsed === bytes);
}

async function get(pathName: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${pathName}`, { headers });
  const bytes = Buffer.from(await response.arrayBuffer());
  const isJson = response.headers.get('content-type')?.startsWith('application/json');
  return {
    status: response.status,
    headers: response.headers,
    bytes,
    error: isJson ? (JSON.parse(bytes.toString()) as ErrorBody) : null,
  };
}

async function ownerWithFile() {
  const owner = await signUp(server);
  const chunks = fakeChunks(PLAIN);
  const file = await uploadFile(server, owner, owner.rootId, chunks);
  const chunkPath = `/api/v1/files/${file}/chunks/0`;
  return { owner, file, chunkPath, auth: { authorization: `Bearer ${owner.token}` } };
}

async function share(owner: TestAccount, nodeId: string): Promise<string> {
  const linkId = await drawLinkId(server, owner);
  const reply = await call(server, 'POST', '/api/v1/links', {
    token: owner.token,
    json: {
      linkId,
      nodeId,
      wrappedKey: randomB64(41 + 64),
      ownerKey: randomB64(41 + 32),
      kdf: null,
      expiresAt: null,
      downloadLimit: null,
    },
  });
  expect(reply.status).toBe(201);
  return linkId;
}

describe('the monthly transfer quota', () => {
  it('serves up to the quota exactly, then refuses the next chunk with the figures', async () => {
    const { owner, chunkPath, auth } = await ownerWithFile();
    expect((await get(chunkPath, auth)).status).toBe(200);
    expect((await get(chunkPath, auth)).status).toBe(200);
    await expectTransfer(owner, QUOTA);

    const refused = await get(chunkPath, auth);
    expect(refused.status).toBe(429);
    check(ErrorSchema, refused.error);
    const resetsAt = Date.UTC(2026, 11, 1);
    expect(refused.error?.error).toEqual({
      code: 'transfer_quota_exceeded',
      message: 'Monthly transfer used up: 2.08 kB of 2.08 kB. It resets on 1 December 2026.',
      details: { used: QUOTA, quota: QUOTA, resetsAt },
    });
    expect(refused.headers.get('retry-after')).toBe(String((resetsAt - server.clock.time) / 1000));
    expect(refused.headers.get('cache-control')).toBe('no-store');
    // Nothing of the refused chunk was counted.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await usage(owner)).transferUsed).toBe(QUOTA);
  });

  it('counts ranges and link downloads, and refuses a chunk that would cross the quota', async () => {
    const { owner, file, chunkPath, auth } = await ownerWithFile();
    const ranged = await get(chunkPath, { ...auth, range: 'bytes=0-9' });
    expect(ranged.status).toBe(206);
    await expectTransfer(owner, 10);

    const linkId = await share(owner, file);
    const linkChunk = `/api/v1/links/${linkId}/files/${file}/chunks/0`;
    const viaLink = await get(linkChunk);
    expect(viaLink.status).toBe(200);
    await expectTransfer(owner, 10 + CHUNK);

    // CHUNK more would pass the quota by 10 bytes: refused whole, owner's and link's alike, and a
    // range too, since the whole chunk must fit before any of it is sent.
    const attempts = [
      get(chunkPath, auth),
      get(chunkPath, { ...auth, range: 'bytes=0-9' }),
      get(linkChunk),
    ];
    for (const refused of await Promise.all(attempts)) {
      expect(refused.status).toBe(429);
      expect(refused.error?.error.details).toEqual({
        used: 10 + CHUNK,
        quota: QUOTA,
        resetsAt: Date.UTC(2026, 11, 1),
      });
    }
    const granted = await get(linkChunk, {
      [DOWNLOAD_GRANT_HEADER]: viaLink.headers.get(DOWNLOAD_GRANT_HEADER) ?? '',
    });
    expect(granted.status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await usage(owner)).transferUsed).toBe(10 + CHUNK);
    // The refused link request counted no download.
    const links = await call(server, 'GET', '/api/v1/links', { token: owner.token });
    expect(check(OwnerLinkList, links.body).links[0]?.downloads).toBe(1);
  });

  it('bills the owner of the data, never the one who downloads it', async () => {
    const { owner, file } = await ownerWithFile();
    const reader = await signUp(server);
    const linkId = await share(owner, file);
    expect((await get(`/api/v1/links/${linkId}/files/${file}/chunks/0`)).status).toBe(200);
    await expectTransfer(owner, CHUNK);
    expect((await usage(reader)).transferUsed).toBe(0);
  });

  it('resets at the first instant of the next UTC month, not a millisecond before', async () => {
    const { owner, chunkPath, auth } = await ownerWithFile();
    const november = server.clock.time;
    try {
      server.clock.time = Date.UTC(2026, 10, 30, 23, 59, 59, 999);
      expect((await get(chunkPath, auth)).status).toBe(200);
      expect((await get(chunkPath, auth)).status).toBe(200);
      await expectTransfer(owner, QUOTA);
      const lastMillisecond = await get(chunkPath, auth);
      expect(lastMillisecond.status).toBe(429);
      expect(lastMillisecond.headers.get('retry-after')).toBe('1');
      expect(lastMillisecond.error?.error.details?.resetsAt).toBe(Date.UTC(2026, 11, 1));
      expect((await usage(owner)).transferResetsAt).toBe(Date.UTC(2026, 11, 1));

      server.clock.time = Date.UTC(2026, 11, 1);
      expect(await usage(owner)).toMatchObject({
        transferUsed: 0,
        transferResetsAt: Date.UTC(2027, 0, 1),
      });
      expect((await get(chunkPath, auth)).status).toBe(200);
      await expectTransfer(owner, CHUNK);
    } finally {
      server.clock.time = november;
    }
    // November's row is kept as it was.
    expect((await usage(owner)).transferUsed).toBe(QUOTA);
  });

  it('never lets parallel downloads pass the quota together', async () => {
    const { owner, chunkPath, auth } = await ownerWithFile();
    const replies = await Promise.all(Array.from({ length: 8 }, () => get(chunkPath, auth)));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(2);
    expect(replies.filter((r) => r.status === 429)).toHaveLength(6);
    await expectTransfer(owner, QUOTA);
  });
});
