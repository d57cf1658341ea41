import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  check,
  DOWNLOAD_GRANT_HEADER,
  OwnerLinkResponse,
  type Account,
} from '@coffre/core/protocol';
import {
  call,
  eventually,
  fakeChunks,
  randomB64,
  signUp,
  startServer,
  uploadFile,
  type TestAccount,
  type TestServer,
} from './harness';
import { drawLinkId } from './link-ids';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

async function usage(account: TestAccount) {
  const reply = await call<Account>(server, 'GET', '/api/v1/account', { token: account.token });
  return reply.body.usage;
}

/** Bytes are recorded when a response ends, just after the client has read it. */
async function expectTransfer(account: TestAccount, bytes: number) {
  await eventually(async () => (await usage(account)).transferUsed === bytes);
}

async function download(pathName: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${pathName}`, { headers });
  return {
    status: response.status,
    headers: response.headers,
    bytes: Buffer.from(await response.arrayBuffer()),
  };
}

async function share(account: TestAccount, nodeId: string): Promise<string> {
  const reply = await call(server, 'POST', '/api/v1/links', {
    token: account.token,
    json: {
      linkId: await drawLinkId(server, account),
      nodeId,
      wrappedKey: randomB64(41 + 64),
      ownerKey: randomB64(41 + 32),
      kdf: null,
      expiresAt: null,
      downloadLimit: null,
    },
  });
  return check(OwnerLinkResponse, reply.body).link.linkId;
}

describe('the monthly transfer counter', () => {
  it('counts every chunk byte served, own and link downloads alike, and nothing else', async () => {
    const owner = await signUp(server);
    const reader = await signUp(server);
    const chunks = fakeChunks(4 * 1024 * 1024 + 1000);
    const file = await uploadFile(server, owner, owner.rootId, chunks);
    expect(await usage(owner)).toMatchObject({ transferUsed: 0, transferQuota: 100e9 });
    const auth = { authorization: `Bearer ${owner.token}` };

    // A full download, chunk by chunk.
    for (const [index, bytes] of chunks.entries()) {
      const got = await download(`/api/v1/files/${file}/chunks/${index}`, auth);
      expect(got.bytes.equals(bytes)).toBe(true);
    }
    let expected = chunks[0]!.length + chunks[1]!.length;
    await expectTransfer(owner, expected);

    // A range counts its own bytes; a refused range, manifests and listings count nothing.
    const ranged = await download(`/api/v1/files/${file}/chunks/1`, {
      ...auth,
      range: 'bytes=0-99',
    });
    expect(ranged.status).toBe(206);
    expected += 100;
    expect(
      (await download(`/api/v1/files/${file}/chunks/1`, { ...auth, range: 'bytes=5000-' })).status,
    ).toBe(416);
    expect((await download(`/api/v1/files/${file}`, auth)).status).toBe(200);
    await expectTransfer(owner, expected);

    // Link downloads count against the owner, never the reader.
    const linkId = await share(owner, file);
    const suffix = await download(`/api/v1/links/${linkId}/files/${file}/chunks/0`, {
      range: 'bytes=-10',
    });
    expect(suffix.bytes.equals(chunks[0]!.subarray(-10))).toBe(true);
    const grant = suffix.headers.get(DOWNLOAD_GRANT_HEADER) ?? '';
    const viaLink = await download(`/api/v1/links/${linkId}/files/${file}/chunks/1`, {
      [DOWNLOAD_GRANT_HEADER]: grant,
    });
    expect(viaLink.bytes.equals(chunks[1]!)).toBe(true);
    expected += chunks[1]!.length + 10;
    await expectTransfer(owner, expected);
    expect((await usage(reader)).transferUsed).toBe(0);
  });

  it('counts what was sent when the client hangs up mid-chunk', async () => {
    const owner = await signUp(server);
    const chunks = fakeChunks(4 * 1024 * 1024);
    const file = await uploadFile(server, owner, owner.rootId, chunks);
    const controller = new AbortController();
    const response = await fetch(`${server.url}/api/v1/files/${file}/chunks/0`, {
      headers: { authorization: `Bearer ${owner.token}` },
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(first.value?.length).toBeGreaterThan(0);
    controller.abort();
    await eventually(async () => (await usage(owner)).transferUsed > 0);
    expect((await usage(owner)).transferUsed).toBeLessThanOrEqual(chunks[0]!.length);
  });

  it('starts a new row each UTC month and keeps the old one', async () => {
    const owner = await signUp(server);
    const chunks = fakeChunks(700);
    const file = await uploadFile(server, owner, owner.rootId, chunks);
    const auth = { authorization: `Bearer ${owner.token}` };
    const size = chunks[0]!.length;
    const november = server.clock.time;
    server.clock.time = Date.UTC(2026, 10, 30, 23, 59, 59, 999);
    await download(`/api/v1/files/${file}/chunks/0`, auth);
    await expectTransfer(owner, size);

    server.clock.time = Date.UTC(2026, 11, 1);
    expect((await usage(owner)).transferUsed).toBe(0);
    await download(`/api/v1/files/${file}/chunks/0`, auth);
    await download(`/api/v1/files/${file}/chunks/0`, auth);
    await expectTransfer(owner, 2 * size);

    server.clock.time = november;
    expect((await usage(owner)).transferUsed).toBe(size);
  });
});
