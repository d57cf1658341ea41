import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  check,
  DOWNLOAD_GRANT_HEADER,
  FileManifestResponse,
  LinkNodeList,
  LinkResponse,
  OwnerLinkList,
  OwnerLinkResponse,
  type CreateLinkRequest,
  type ErrorBody,
  type OwnerLink,
} from '@coffre/core/protocol';
import {
  call,
  createFolder,
  fakeChunks,
  kdf,
  newId,
  randomB64,
  signUp,
  startServer,
  uploadFile,
  type TestAccount,
  type TestServer,
} from './harness';

let server: TestServer;
let alice: TestAccount;
let bob: TestAccount;

beforeAll(async () => {
  server = await startServer();
  alice = await signUp(server);
  bob = await signUp(server);
});
afterAll(async () => {
  await server.close();
});

const HOUR = 60 * 60 * 1000;
const LINK_NOT_FOUND = { error: { code: 'not_found', message: 'link not found' } };

function linkRequest(nodeId: string, options: Partial<CreateLinkRequest> = {}): CreateLinkRequest {
  return {
    linkId: newId(),
    nodeId,
    wrappedKey: randomB64(41 + 64),
    ownerKey: randomB64(41 + 32),
    kdf: null,
    expiresAt: null,
    downloadLimit: null,
    ...options,
  };
}

async function createLink(
  account: TestAccount,
  nodeId: string,
  options: Partial<CreateLinkRequest> = {},
): Promise<OwnerLink> {
  const reply = await call(server, 'POST', '/api/v1/links', {
    token: account.token,
    json: linkRequest(nodeId, options),
  });
  if (reply.status !== 201) throw new Error(`link failed: ${JSON.stringify(reply.body)}`);
  return check(OwnerLinkResponse, reply.body).link;
}

/** An anonymous GET: no token, as a link page makes it. */
const anonymous = (pathName: string, headers: Record<string, string> = {}) =>
  call(server, 'GET', pathName, { headers });

const chunkUrl = (linkId: string, nodeId: string, index = 0) =>
  `${server.url}/api/v1/links/${linkId}/files/${nodeId}/chunks/${index}`;

/** A shared folder with a file and a sub-folder holding another file, plus a file outside it. */
async function sharedTree(account: TestAccount) {
  const folder = await createFolder(server, account, account.rootId);
  const sub = await createFolder(server, account, folder);
  const fileChunks = fakeChunks(1000);
  const file = await uploadFile(server, account, folder, fileChunks);
  const deep = await uploadFile(server, account, sub, fakeChunks(500));
  const outside = await uploadFile(server, account, account.rootId, fakeChunks(300));
  return { folder, sub, file, fileChunks, deep, outside };
}

describe('the owner manages links', () => {
  it('creates, lists newest first, edits and revokes', async () => {
    const { folder, file } = await sharedTree(alice);
    const request = linkRequest(folder, { expiresAt: server.clock.time + HOUR, downloadLimit: 5 });
    const created = await call(server, 'POST', '/api/v1/links', {
      token: alice.token,
      json: request,
    });
    expect(created.status).toBe(201);
    expect(check(OwnerLinkResponse, created.body).link).toEqual({
      linkId: request.linkId,
      nodeId: folder,
      type: 'folder',
      wrappedKey: request.wrappedKey,
      ownerKey: request.ownerKey,
      kdf: null,
      expiresAt: server.clock.time + HOUR,
      downloadLimit: 5,
      downloads: 0,
      createdAt: server.clock.time,
    });

    server.clock.advance(1000);
    const second = await createLink(alice, file, { kdf: kdf() });
    expect(second.type).toBe('file');
    const listed = await call(server, 'GET', '/api/v1/links', { token: alice.token });
    const ids = check(OwnerLinkList, listed.body).links.map((l) => l.linkId);
    expect(ids.slice(0, 2)).toEqual([second.linkId, request.linkId]);
    const others = await call(server, 'GET', '/api/v1/links', { token: bob.token });
    expect(check(OwnerLinkList, others.body).links).toEqual([]);

    const newKey = randomB64(41 + 64);
    const newKdf = kdf();
    const patched = await call(server, 'PATCH', `/api/v1/links/${request.linkId}`, {
      token: alice.token,
      json: { expiresAt: null, downloadLimit: 1, password: { wrappedKey: newKey, kdf: newKdf } },
    });
    expect(patched.status).toBe(200);
    expect(check(OwnerLinkResponse, patched.body).link).toMatchObject({
      wrappedKey: newKey,
      kdf: newKdf,
      expiresAt: null,
      downloadLimit: 1,
      ownerKey: request.ownerKey,
    });
    const passwordRemoved = await call(server, 'PATCH', `/api/v1/links/${request.linkId}`, {
      token: alice.token,
      json: { password: { wrappedKey: request.wrappedKey, kdf: null } },
    });
    expect(check(OwnerLinkResponse, passwordRemoved.body).link).toMatchObject({
      wrappedKey: request.wrappedKey,
      kdf: null,
      downloadLimit: 1,
    });

    const unknown = await anonymous(`/api/v1/links/${newId()}`);
    const revoked = await call(server, 'DELETE', `/api/v1/links/${request.linkId}`, {
      token: alice.token,
    });
    expect(revoked.status).toBe(204);
    const gone = await anonymous(`/api/v1/links/${request.linkId}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual(unknown.body);
    expect(gone.body).toEqual(LINK_NOT_FOUND);
    const again = await call(server, 'DELETE', `/api/v1/links/${request.linkId}`, {
      token: alice.token,
    });
    expect(again.status).toBe(404);
  });

  it('refuses bad requests', async () => {
    const folder = await createFolder(server, alice, alice.rootId);
    const binned = await createFolder(server, alice, alice.rootId);
    const insideBinned = await createFolder(server, alice, binned);
    await call(server, 'DELETE', `/api/v1/nodes/${binned}`, { token: alice.token });
    const existing = await createLink(alice, folder);
    const post = (json: unknown, token = alice.token) =>
      call<ErrorBody>(server, 'POST', '/api/v1/links', { token, json });

    const cases: [unknown, number][] = [
      [{ ...linkRequest(folder), linkId: 'short' }, 400],
      [{ ...linkRequest(folder), extra: 1 }, 400],
      [linkRequest(folder, { expiresAt: server.clock.time }), 400],
      [linkRequest(folder, { expiresAt: server.clock.time - 1 }), 400],
      [linkRequest(folder, { downloadLimit: 0 }), 400],
      [{ ...linkRequest(folder), downloadLimit: 1.5 }, 400],
      [linkRequest(folder, { kdf: { ...kdf(), opslimit: 2 } }), 400],
      [linkRequest(folder, { kdf: { ...kdf(), memlimit: 1024 * 1024 } }), 400],
      // Sealed keys have exactly the sizes of format.md §3: 105 and 73 bytes.
      [linkRequest(folder, { wrappedKey: randomB64(104) }), 400],
      [linkRequest(folder, { wrappedKey: randomB64(106) }), 400],
      [linkRequest(folder, { ownerKey: randomB64(105) }), 400],
      [linkRequest(folder, { ownerKey: `${randomB64(72)}==` }), 400],
      [linkRequest(folder, { linkId: existing.linkId }), 409],
      [linkRequest(alice.rootId), 409],
      [linkRequest(binned), 409],
      [linkRequest(insideBinned), 409],
      [linkRequest(bob.rootId), 404],
      [linkRequest(newId()), 404],
    ];
    for (const [json, status] of cases) {
      const reply = await post(json);
      expect({ json, status: reply.status }).toEqual({ json, status });
    }
    expect((await post(linkRequest(folder), '')).status).toBe(401);

    const patch = (linkId: string, json: unknown, token = alice.token) =>
      call<ErrorBody>(server, 'PATCH', `/api/v1/links/${linkId}`, { token, json });
    expect((await patch(existing.linkId, { expiresAt: server.clock.time - 1 })).status).toBe(400);
    expect((await patch(existing.linkId, { downloadLimit: 0 })).status).toBe(400);
    expect(
      (await patch(existing.linkId, { password: { wrappedKey: randomB64(105) } })).status,
    ).toBe(400);
    expect((await patch(existing.linkId, { nodeId: folder })).status).toBe(400);
    // Someone else's link does not exist for them.
    expect((await patch(existing.linkId, { downloadLimit: 2 }, bob.token)).status).toBe(404);
    const foreignDelete = await call(server, 'DELETE', `/api/v1/links/${existing.linkId}`, {
      token: bob.token,
    });
    expect(foreignDelete.status).toBe(404);
    expect((await anonymous(`/api/v1/links/${existing.linkId}`)).status).toBe(200);
  });
});

describe('anyone with the link', () => {
  it('reads the shared folder, its sub-folders, manifests and chunks', async () => {
    const tree = await sharedTree(alice);
    const link = await createLink(alice, tree.folder, { kdf: kdf() });

    const meta = await anonymous(`/api/v1/links/${link.linkId}`);
    expect(meta.status).toBe(200);
    expect(meta.headers.get('cache-control')).toBe('no-store');
    const opened = check(LinkResponse, meta.body);
    expect(opened).toMatchObject({
      linkId: link.linkId,
      type: 'folder',
      wrappedKey: link.wrappedKey,
      kdf: link.kdf,
      node: { id: tree.folder, parentId: alice.rootId, type: 'folder', file: null },
    });

    const top = await anonymous(`/api/v1/links/${link.linkId}/nodes/${tree.folder}/children`);
    expect(top.status).toBe(200);
    const topNodes = check(LinkNodeList, top.body).nodes;
    expect(topNodes.map((n) => n.id).sort()).toEqual([tree.sub, tree.file].sort());
    expect(topNodes[0]).not.toHaveProperty('trashedAt');
    const below = await anonymous(`/api/v1/links/${link.linkId}/nodes/${tree.sub}/children`);
    expect(check(LinkNodeList, below.body).nodes.map((n) => n.id)).toEqual([tree.deep]);

    const manifest = await anonymous(`/api/v1/links/${link.linkId}/files/${tree.deep}`);
    expect(manifest.status).toBe(200);
    expect(check(FileManifestResponse, manifest.body).nodeId).toBe(tree.deep);

    const response = await fetch(chunkUrl(link.linkId, tree.file));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-length')).toBe(String(tree.fileChunks[0]!.length));
    expect(Buffer.from(await response.arrayBuffer()).equals(tree.fileChunks[0]!)).toBe(true);

    const range = await fetch(chunkUrl(link.linkId, tree.file), {
      headers: { range: 'bytes=10-19' },
    });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe(`bytes 10-19/${tree.fileChunks[0]!.length}`);
    expect(range.headers.get('cache-control')).toBe('no-store');
    const rangeBytes = Buffer.from(await range.arrayBuffer());
    expect(rangeBytes.equals(tree.fileChunks[0]!.subarray(10, 20))).toBe(true);
    const beyond = await fetch(chunkUrl(link.linkId, tree.file), {
      headers: { range: 'bytes=99999-' },
    });
    expect(beyond.status).toBe(416);
    await beyond.arrayBuffer();
    expect(
      (await anonymous(`/api/v1/links/${link.linkId}/files/${tree.file}/chunks/1`)).status,
    ).toBe(404);
  });

  it('answers the same 404 outside the shared subtree and for anything in the bin', async () => {
    const tree = await sharedTree(alice);
    const link = await createLink(alice, tree.sub);
    const bobFile = await uploadFile(server, bob, bob.rootId, fakeChunks(100));
    const id = link.linkId;
    const escapes = [
      `/api/v1/links/${id}/files/${tree.file}`,
      `/api/v1/links/${id}/files/${tree.file}/chunks/0`,
      `/api/v1/links/${id}/files/${tree.outside}`,
      `/api/v1/links/${id}/files/${bobFile}`,
      `/api/v1/links/${id}/nodes/${tree.folder}/children`,
      `/api/v1/links/${id}/nodes/${alice.rootId}/children`,
      `/api/v1/links/${id}/nodes/${tree.deep}/children`,
      `/api/v1/links/${id}/files/${tree.sub}`,
      `/api/v1/links/${newId()}/files/${tree.deep}/chunks/0`,
    ];
    for (const pathName of escapes) {
      const reply = await anonymous(pathName);
      expect({ pathName, status: reply.status, body: reply.body }).toEqual({
        pathName,
        status: 404,
        body: LINK_NOT_FOUND,
      });
    }
    expect((await anonymous(`/api/v1/links/${id}/files/${tree.deep}`)).status).toBe(200);

    await call(server, 'DELETE', `/api/v1/nodes/${tree.deep}`, { token: alice.token });
    const binnedFile = await anonymous(`/api/v1/links/${id}/files/${tree.deep}`);
    expect(binnedFile.body).toEqual(LINK_NOT_FOUND);
    const listing = await anonymous(`/api/v1/links/${id}/nodes/${tree.sub}/children`);
    expect(check(LinkNodeList, listing.body).nodes).toEqual([]);

    // Binning the folder above the shared one puts the shared folder in the bin too.
    await call(server, 'DELETE', `/api/v1/nodes/${tree.folder}`, { token: alice.token });
    expect((await anonymous(`/api/v1/links/${id}`)).body).toEqual(LINK_NOT_FOUND);
    await call(server, 'POST', `/api/v1/nodes/${tree.folder}/restore`, { token: alice.token });
    expect((await anonymous(`/api/v1/links/${id}`)).status).toBe(200);
  });

  it('refuses bad ids with 400 before any lookup', async () => {
    for (const pathName of [
      '/api/v1/links/not-an-id',
      `/api/v1/links/${newId()}/files/x`,
      `/api/v1/links/${newId()}/files/${newId()}/chunks/01`,
    ]) {
      expect((await anonymous(pathName)).status).toBe(400);
    }
  });

  it('stops working at the expiry time of the server clock', async () => {
    const file = await uploadFile(server, alice, alice.rootId, fakeChunks(100));
    const link = await createLink(alice, file, { expiresAt: server.clock.time + HOUR });
    expect((await anonymous(`/api/v1/links/${link.linkId}`)).status).toBe(200);
    server.clock.advance(HOUR - 1);
    expect((await anonymous(`/api/v1/links/${link.linkId}/files/${file}`)).status).toBe(200);
    server.clock.advance(1);
    for (const pathName of [
      `/api/v1/links/${link.linkId}`,
      `/api/v1/links/${link.linkId}/files/${file}`,
      `/api/v1/links/${link.linkId}/files/${file}/chunks/0`,
    ]) {
      expect((await anonymous(pathName)).body).toEqual(LINK_NOT_FOUND);
    }
    // The owner still sees it and can extend it.
    const extended = await call(server, 'PATCH', `/api/v1/links/${link.linkId}`, {
      token: alice.token,
      json: { expiresAt: server.clock.time + HOUR },
    });
    expect(extended.status).toBe(200);
    expect((await anonymous(`/api/v1/links/${link.linkId}`)).status).toBe(200);
  });
});

const downloadsOf = async (linkId: string) => {
  const reply = await call(server, 'GET', '/api/v1/links', { token: alice.token });
  return check(OwnerLinkList, reply.body).links.find((l) => l.linkId === linkId)?.downloads;
};

describe('the download limit', () => {
  it('serves exactly the limit under parallel first-chunk requests, then answers 404', async () => {
    const chunks = fakeChunks(2000);
    const file = await uploadFile(server, alice, alice.rootId, chunks);
    const link = await createLink(alice, file, { downloadLimit: 3 });

    // Without a grant, any request for chunk 0 counts — a range cannot dodge the count — and
    // no other chunk is served at all.
    const ranged0 = await fetch(chunkUrl(link.linkId, file), { headers: { range: 'bytes=5-' } });
    expect(ranged0.status).toBe(206);
    await ranged0.arrayBuffer();
    expect(await downloadsOf(link.linkId)).toBe(1);

    const responses = await Promise.all(
      Array.from({ length: 9 }, async () => {
        const response = await fetch(chunkUrl(link.linkId, file));
        return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
      }),
    );
    const served = responses.filter((r) => r.status === 200);
    expect(served).toHaveLength(2);
    expect(served.every((r) => r.bytes.equals(chunks[0]!))).toBe(true);
    const refused = responses.filter((r) => r.status === 404);
    expect(refused).toHaveLength(7);
    for (const r of refused) expect(JSON.parse(r.bytes.toString())).toEqual(LINK_NOT_FOUND);
    expect(await downloadsOf(link.linkId)).toBe(3);

    expect((await anonymous(`/api/v1/links/${link.linkId}`)).body).toEqual(LINK_NOT_FOUND);
    const ranged = await anonymous(`/api/v1/links/${link.linkId}/files/${file}/chunks/0`, {
      range: 'bytes=5-',
    });
    expect(ranged.body).toEqual(LINK_NOT_FOUND);

    // Raising the limit brings it back.
    await call(server, 'PATCH', `/api/v1/links/${link.linkId}`, {
      token: alice.token,
      json: { downloadLimit: 4 },
    });
    expect(
      (await fetch(chunkUrl(link.linkId, file), { headers: { range: 'bytes=0-9' } })).status,
    ).toBe(206);
    expect(await downloadsOf(link.linkId)).toBe(4);
    expect((await anonymous(`/api/v1/links/${link.linkId}`)).status).toBe(404);
  });
});

describe('the download that uses up the limit', () => {
  it('still gets the other chunks of the file with its grant, for a bounded time', async () => {
    const chunks = fakeChunks(4 * 1024 * 1024 + 1000);
    const file = await uploadFile(server, alice, alice.rootId, chunks);
    const other = await uploadFile(server, alice, alice.rootId, fakeChunks(100));
    const link = await createLink(alice, file, { downloadLimit: 1 });

    const first = await fetch(chunkUrl(link.linkId, file, 0));
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    const grant = first.headers.get(DOWNLOAD_GRANT_HEADER) ?? '';
    expect(grant).toMatch(/^[0-9]+\.[A-Za-z0-9_-]{43}$/);
    const second = (headers: Record<string, string>) =>
      anonymous(`/api/v1/links/${link.linkId}/files/${file}/chunks/1`, headers);

    expect((await second({})).body).toEqual(LINK_NOT_FOUND);
    const granted = await fetch(chunkUrl(link.linkId, file, 1), {
      headers: { [DOWNLOAD_GRANT_HEADER]: grant },
    });
    expect(granted.status).toBe(200);
    expect(Buffer.from(await granted.arrayBuffer()).equals(chunks[1]!)).toBe(true);

    // Bound to this link and file, unforgeable, and no way to start another download.
    const [expiry, mac = ''] = grant.split('.');
    const forged = `${Number(expiry) + 1}.${mac}`;
    expect((await second({ [DOWNLOAD_GRANT_HEADER]: forged })).status).toBe(404);
    const otherFile = `/api/v1/links/${link.linkId}/files/${other}/chunks/0`;
    expect((await anonymous(otherFile, { [DOWNLOAD_GRANT_HEADER]: grant })).status).toBe(404);
    // A retry of chunk 0 within the same download is served and not counted again.
    const again = `/api/v1/links/${link.linkId}/files/${file}/chunks/0`;
    expect((await anonymous(again, { [DOWNLOAD_GRANT_HEADER]: grant })).status).toBe(200);
    expect(await downloadsOf(link.linkId)).toBe(1);
    expect((await anonymous(again)).status).toBe(404);
    expect((await anonymous(`/api/v1/links/${link.linkId}`)).status).toBe(404);

    server.clock.advance(24 * HOUR);
    expect((await second({ [DOWNLOAD_GRANT_HEADER]: grant })).body).toEqual(LINK_NOT_FOUND);
  });
});

describe('rate limits', () => {
  let limited: TestServer;
  let clientDir: string;

  beforeAll(async () => {
    clientDir = await mkdtemp(path.join(tmpdir(), 'coffre-client-'));
    await mkdir(path.join(clientDir, 'assets'));
    await writeFile(path.join(clientDir, 'index.html'), '<!doctype html><title>Coffre app</title>');
    limited = await startServer({
      clientDir,
      linkRateLimits: {
        metadata: { max: 3, windowMs: 60_000 },
        content: { max: 1000, windowMs: 60_000 },
        perLink: { max: 5, windowMs: 60_000 },
      },
    });
  });
  afterAll(async () => {
    await limited.close();
    await rm(clientDir, { recursive: true, force: true });
  });

  it('limits link metadata per IP, across link ids', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await call(limited, 'GET', `/api/v1/links/${newId()}`)).status).toBe(404);
    }
    const refused = await call<ErrorBody>(limited, 'GET', `/api/v1/links/${newId()}`);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(refused.headers.get('retry-after')).toBeTruthy();
  });

  it('limits each link id over all its routes, whatever the IP', async () => {
    const owner = await signUp(limited);
    const file = await uploadFile(limited, owner, owner.rootId, fakeChunks(100));
    const busy = newId();
    const other = newId();
    for (const linkId of [busy, other]) {
      const reply = await call(limited, 'POST', '/api/v1/links', {
        token: owner.token,
        json: { ...linkRequest(file), linkId },
      });
      expect(reply.status).toBe(201);
    }
    for (let i = 0; i < 5; i++) {
      expect((await call(limited, 'GET', `/api/v1/links/${busy}/files/${file}`)).status).toBe(200);
    }
    const refused = await call<ErrorBody>(limited, 'GET', `/api/v1/links/${busy}/files/${file}`);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect((await call(limited, 'GET', `/api/v1/links/${other}/files/${file}`)).status).toBe(200);
  });

  it('serves the app with its CSP at a link page path', async () => {
    const response = await fetch(`${limited.url}/s/${newId()}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Coffre app');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  });
});
