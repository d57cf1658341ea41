import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
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
  storesOf,
  uploadFile,
  type Reply,
  type TestAccount,
  type TestServer,
} from './harness';
import { databaseLocation } from '../../storage-server/src/config';
import { openDatabase } from '../../storage-server/src/db/database';
import { drawLinkId } from './link-ids';

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
    json: linkRequest(nodeId, { linkId: await drawLinkId(server, account), ...options }),
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
    const request = linkRequest(folder, {
      linkId: await drawLinkId(server, alice),
      expiresAt: server.clock.time + HOUR,
      downloadLimit: 5,
    });
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
      // An id in use answers like any id the caller did not draw (the link ids section).
      [linkRequest(folder, { linkId: existing.linkId }), 404],
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

/** Everything an answer says but the time it was sent. */
function answerOf(reply: Reply) {
  const headers = [...reply.headers.entries()].filter(([name]) => name !== 'date');
  return { status: reply.status, body: reply.body, headers };
}

const NO_SUCH_LINK_ID = { error: { code: 'not_found', message: 'no such link id' } };

const postLink = (account: TestAccount, json: CreateLinkRequest, on: TestServer = server) =>
  call<ErrorBody>(on, 'POST', '/api/v1/links', { token: account.token, json });

describe('link ids', () => {
  it('are drawn by the server, one per request, well formed and all different', async () => {
    const ids = await Promise.all(Array.from({ length: 8 }, () => drawLinkId(server, alice)));
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect((await call(server, 'POST', '/api/v1/link-ids')).status).toBe(401);
  });

  it('a revoked id is never used again, by another account or by its owner', async () => {
    const file = await uploadFile(server, alice, alice.rootId, fakeChunks(100));
    const link = await createLink(alice, file);
    await call(server, 'DELETE', `/api/v1/links/${link.linkId}`, { token: alice.token });

    // Bob kept the URL, so he holds the link key: he would seal his own folder under it.
    const bobFolder = await createFolder(server, bob, bob.rootId);
    const claimed = await postLink(bob, linkRequest(bobFolder, { linkId: link.linkId }));
    const fresh = await postLink(bob, linkRequest(bobFolder, { linkId: newId() }));
    expect(claimed.body).toEqual(NO_SUCH_LINK_ID);
    expect(answerOf(claimed)).toEqual(answerOf(fresh));
    const reused = await postLink(alice, linkRequest(file, { linkId: link.linkId }));
    expect(answerOf(reused)).toEqual(answerOf(fresh));

    // Every anonymous route answers the revoked id exactly like one never drawn.
    const never = newId();
    for (const route of [
      (id: string) => `/api/v1/links/${id}`,
      (id: string) => `/api/v1/links/${id}/files/${file}`,
      (id: string) => `/api/v1/links/${id}/files/${file}/chunks/0`,
      (id: string) => `/api/v1/links/${id}/nodes/${file}/children`,
    ]) {
      const revoked = answerOf(await anonymous(route(link.linkId)));
      expect(revoked.body).toEqual(LINK_NOT_FOUND);
      expect(revoked).toEqual(answerOf(await anonymous(route(never))));
    }
  });

  it('no answer tells an id in use, revoked or drawn from one never drawn', async () => {
    const file = await uploadFile(server, alice, alice.rootId, fakeChunks(100));
    const live = await createLink(alice, file);
    const revoked = await createLink(alice, file);
    await call(server, 'DELETE', `/api/v1/links/${revoked.linkId}`, { token: alice.token });
    const waiting = await drawLinkId(server, alice);
    const bobFile = await uploadFile(server, bob, bob.rootId, fakeChunks(100));
    const bobsOwn = await createLink(bob, bobFile);
    const never = newId();

    const others = [live.linkId, revoked.linkId, waiting, never];
    const created = await Promise.all(
      [...others, bobsOwn.linkId].map(async (linkId) =>
        answerOf(await postLink(bob, linkRequest(bobFile, { linkId }))),
      ),
    );
    for (const answer of created) expect(answer).toEqual(created.at(-1));
    expect(created[0]?.body).toEqual(NO_SUCH_LINK_ID);
    for (const method of ['PATCH', 'DELETE']) {
      const answers = await Promise.all(
        others.map(async (linkId) =>
          answerOf(
            await call(server, method, `/api/v1/links/${linkId}`, {
              token: bob.token,
              ...(method === 'PATCH' ? { json: { downloadLimit: 1 } } : {}),
            }),
          ),
        ),
      );
      for (const answer of answers)
        expect({ method, answer }).toEqual({ method, answer: answers[0] });
    }
    // None of this used Alice's waiting id, nor touched her live link.
    expect((await postLink(alice, linkRequest(file, { linkId: waiting }))).status).toBe(201);
    expect(
      check(LinkResponse, (await anonymous(`/api/v1/links/${live.linkId}`)).body).node.id,
    ).toBe(file);
  });

  it('of two accounts racing for one drawn id, its owner gets it, once', async () => {
    const aliceFile = await uploadFile(server, alice, alice.rootId, fakeChunks(100));
    const bobFile = await uploadFile(server, bob, bob.rootId, fakeChunks(100));
    const linkId = await drawLinkId(server, alice);
    const replies = await Promise.all([
      ...Array.from({ length: 4 }, () => postLink(alice, linkRequest(aliceFile, { linkId }))),
      ...Array.from({ length: 4 }, () => postLink(bob, linkRequest(bobFile, { linkId }))),
    ]);
    expect(replies.slice(0, 4).filter((r) => r.status === 201)).toHaveLength(1);
    const refused = replies.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(7);
    for (const reply of refused) expect(reply.body).toEqual(NO_SUCH_LINK_ID);
    const opened = check(LinkResponse, (await anonymous(`/api/v1/links/${linkId}`)).body);
    expect(opened.node.id).toBe(aliceFile);
  });

  it('ids of other forms: malformed ones fail by form, any other id is not a link id', async () => {
    const file = await uploadFile(server, alice, alice.rootId, fakeChunks(100));
    for (const linkId of [
      '',
      'A'.repeat(21),
      'A'.repeat(23),
      `${'A'.repeat(21)}+`,
      'é'.repeat(22),
    ]) {
      const reply = await postLink(alice, { ...linkRequest(file), linkId });
      expect({ linkId, status: reply.status }).toEqual({ linkId, status: 400 });
    }
    const fresh = answerOf(await postLink(alice, linkRequest(file)));
    // Other ids of the account, in the form of a link id.
    for (const linkId of [alice.userId, alice.rootId, file]) {
      const reply = answerOf(await postLink(alice, linkRequest(file, { linkId })));
      expect({ linkId, reply }).toEqual({ linkId, reply: fresh });
    }
  });

  it('an account keeps at most 16 unused draws; one more forgets the oldest', async () => {
    const carol = await signUp(server);
    const file = await uploadFile(server, carol, carol.rootId, fakeChunks(100));
    const ids: string[] = [];
    for (let i = 0; i < 17; i++) {
      server.clock.advance(1);
      ids.push(await drawLinkId(server, carol));
    }
    const [oldest, ...kept] = ids as [string, ...string[]];
    expect((await postLink(carol, linkRequest(file, { linkId: oldest }))).body).toEqual(
      NO_SUCH_LINK_ID,
    );
    for (const linkId of kept) {
      expect((await postLink(carol, linkRequest(file, { linkId }))).status).toBe(201);
    }
  });

  it('links made while clients chose ids keep opening, and their ids stay used', async () => {
    const before = await startServer();
    const owner = await signUp(before);
    const file = await uploadFile(before, owner, owner.rootId, fakeChunks(100));
    await before.app.close();
    // The database as it was before migration 0006, with a link under an id its client chose.
    // The migrations after it run again on start; they touch nothing this test reads.
    const db = await openDatabase(databaseLocation(before.config));
    for (const table of ['download_grant_chunks', 'download_grants', 'link_ids']) {
      await db.schema.dropTable(table).execute();
    }
    await sql`delete from kysely_migration where name >= '0006'`.execute(db);
    const linkId = newId();
    await db
      .insertInto('links')
      .values({
        ...linkRequestColumns(linkRequest(file, { linkId })),
        owner_id: owner.userId,
        created_at: before.clock.time,
      })
      .execute();
    await db.destroy();

    const after = await startServer(storesOf(before));
    try {
      const opened = await call(after, 'GET', `/api/v1/links/${linkId}`);
      expect(check(LinkResponse, opened.body).node.id).toBe(file);
      const granted = await fetch(`${after.url}/api/v1/links/${linkId}/files/${file}/chunks/0`);
      expect(granted.headers.get(DOWNLOAD_GRANT_HEADER)).toMatch(/^[0-9]+\.[A-Za-z0-9_-]{43}$/);
      await granted.arrayBuffer();
      await call(after, 'DELETE', `/api/v1/links/${linkId}`, { token: owner.token });
      const reused = await postLink(owner, linkRequest(file, { linkId }), after);
      expect(reused.body).toEqual(NO_SUCH_LINK_ID);
    } finally {
      await after.close();
    }
  });
});

/** A create request as a row of the links table, as clients sent it before ids were drawn. */
function linkRequestColumns(request: CreateLinkRequest) {
  return {
    link_id: request.linkId,
    node_id: request.nodeId,
    wrapped_key: request.wrappedKey,
    owner_key: request.ownerKey,
    kdf_salt: null,
    kdf_opslimit: null,
    kdf_memlimit: null,
    expires_at: request.expiresAt,
    download_limit: request.downloadLimit,
  };
}

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
    // Chunk 0 was sent in full under this grant: a second pass is refused and counts nothing
    // (a cut transfer's retry is served: the one-pass section).
    const again = `/api/v1/links/${link.linkId}/files/${file}/chunks/0`;
    expect((await anonymous(again, { [DOWNLOAD_GRANT_HEADER]: grant })).status).toBe(409);
    expect(await downloadsOf(link.linkId)).toBe(1);
    expect((await anonymous(again)).status).toBe(404);
    expect((await anonymous(`/api/v1/links/${link.linkId}`)).status).toBe(404);

    server.clock.advance(24 * HOUR);
    expect((await second({ [DOWNLOAD_GRANT_HEADER]: grant })).body).toEqual(LINK_NOT_FOUND);
  });
});

describe('a download grant is one pass over the file', () => {
  const withGrant = (grant: string) => ({ [DOWNLOAD_GRANT_HEADER]: grant });

  async function get(url: string, headers: Record<string, string> = {}) {
    const response = await fetch(url, { headers });
    const bytes = Buffer.from(await response.arrayBuffer());
    return { status: response.status, headers: response.headers, bytes };
  }

  /**
   * A transfer cut as soon as its headers arrived, on a connection of its own, as a dropped
   * connection leaves it; the grant the headers carried, if any. (The server must see the cut: a
   * connection whose buffers took in the whole chunk looks sent to it, protocol.md.)
   */
  function cut(url: string, headers: Record<string, string> = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = httpGet(url, { headers, agent: false }, (res) => {
        req.destroy();
        expect(res.statusCode).toBe(200);
        const grant = res.headers[DOWNLOAD_GRANT_HEADER];
        resolve(typeof grant === 'string' ? grant : '');
      });
      req.on('error', reject);
    });
  }

  /** Asks again while the server still holds the cut transfer (429), as the link page does. */
  async function retry(url: string, headers: Record<string, string>) {
    for (let attempt = 1; ; attempt++) {
      const reply = await get(url, headers);
      if (reply.status !== 429 || attempt === 100) return reply;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const SENT = {
    error: { code: 'conflict', message: 'this chunk was already sent under this download grant' },
  };

  it('a second full pass under one grant is refused, and the count stays exact', async () => {
    const chunks = fakeChunks(8 * 1024 * 1024 + 1000);
    const file = await uploadFile(server, alice, alice.rootId, chunks);
    const link = await createLink(alice, file, { downloadLimit: 2 });
    const url = (index: number) => chunkUrl(link.linkId, file, index);

    const first = await get(url(0));
    expect(first.bytes.equals(chunks[0]!)).toBe(true);
    const grant = first.headers.get(DOWNLOAD_GRANT_HEADER) ?? '';
    for (const index of [1, 2]) {
      expect((await get(url(index), withGrant(grant))).bytes.equals(chunks[index]!)).toBe(true);
    }
    for (const index of [0, 1, 2]) {
      const again = await get(url(index), withGrant(grant));
      expect({ index, status: again.status, body: JSON.parse(again.bytes.toString()) }).toEqual({
        index,
        status: 409,
        body: SENT,
      });
    }
    expect(await downloadsOf(link.linkId)).toBe(1);

    // Another pass starts at chunk 0 without the grant, and counts; past the limit, none starts.
    expect((await get(url(0))).status).toBe(200);
    expect(await downloadsOf(link.linkId)).toBe(2);
    expect((await get(url(0))).status).toBe(404);
    expect(await downloadsOf(link.linkId)).toBe(2);
  });

  it('a chunk whose transfer was cut is served again under its grant, then spent', async () => {
    const chunks = fakeChunks(8 * 1024 * 1024 + 1000);
    const file = await uploadFile(server, alice, alice.rootId, chunks);
    const link = await createLink(alice, file, { downloadLimit: 1 });
    const url = (index: number) => chunkUrl(link.linkId, file, index);

    // Chunk 0 cut: its grant came with the headers, and its retry carries it.
    const grant = await cut(url(0));
    const chunk0 = await retry(url(0), withGrant(grant));
    expect(chunk0.status).toBe(200);
    expect(chunk0.bytes.equals(chunks[0]!)).toBe(true);
    await cut(url(1), withGrant(grant));
    const chunk1 = await retry(url(1), withGrant(grant));
    expect(chunk1.bytes.equals(chunks[1]!)).toBe(true);
    expect((await get(url(2), withGrant(grant))).bytes.equals(chunks[2]!)).toBe(true);

    for (const index of [0, 1, 2]) {
      expect((await get(url(index), withGrant(grant))).status).toBe(409);
    }
    expect(await downloadsOf(link.linkId)).toBe(1);
  });

  it("sends a chunk to one response of a grant at a time; a dead node's hold lapses", async () => {
    const chunks = fakeChunks(8 * 1024 * 1024 + 1000);
    const file = await uploadFile(server, alice, alice.rootId, chunks);
    const link = await createLink(alice, file, { downloadLimit: 1 });
    const url = (index: number) => chunkUrl(link.linkId, file, index);
    const grant = (await get(url(0))).headers.get(DOWNLOAD_GRANT_HEADER) ?? '';

    const parallel = await Promise.all(
      Array.from({ length: 6 }, () => get(url(2), withGrant(grant))),
    );
    expect(parallel.filter((r) => r.status === 200)).toHaveLength(1);
    const others = parallel.filter((r) => r.status !== 200).map((r) => r.status);
    expect(others.every((status) => status === 409 || status === 429)).toBe(true);

    // A node that died while sending chunk 1 left its hold behind (the server keeps the grant's
    // SHA-256): until the hold lapses, the chunk is being sent.
    const db = await openDatabase(databaseLocation(server.config));
    const grantId = createHash('sha256').update(grant.split('.')[1]!).digest('base64url');
    await db
      .insertInto('download_grant_chunks')
      .values({
        grant_id: grantId,
        idx: 1,
        claim_id: newId(),
        held_until: server.clock.time + 15 * 60_000,
      })
      .execute();
    await db.destroy();
    const busy = await get(url(1), withGrant(grant));
    expect(busy.status).toBe(429);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(JSON.parse(busy.bytes.toString()).error.code).toBe('rate_limited');

    server.clock.advance(15 * 60_000);
    const taken = await get(url(1), withGrant(grant));
    expect(taken.bytes.equals(chunks[1]!)).toBe(true);
    expect((await get(url(1), withGrant(grant))).status).toBe(409);
    expect(await downloadsOf(link.linkId)).toBe(1);
  });

  it('a range sent in full spends its chunk; revoking the link ends its grants', async () => {
    const chunks = fakeChunks(4 * 1024 * 1024 + 1000);
    const file = await uploadFile(server, alice, alice.rootId, chunks);
    const link = await createLink(alice, file);
    const url = (index: number) => chunkUrl(link.linkId, file, index);
    const ranged = await get(url(0), { range: 'bytes=0-9' });
    expect(ranged.status).toBe(206);
    const grant = ranged.headers.get(DOWNLOAD_GRANT_HEADER) ?? '';
    expect((await get(url(0), withGrant(grant))).status).toBe(409);
    const beyond = await get(url(1), { ...withGrant(grant), range: 'bytes=99999-' });
    expect(beyond.status).toBe(416);
    // A refused range sent nothing: the chunk is still to be sent.
    expect((await get(url(1), withGrant(grant))).bytes.equals(chunks[1]!)).toBe(true);

    await call(server, 'DELETE', `/api/v1/links/${link.linkId}`, { token: alice.token });
    const after = await get(url(1), withGrant(grant));
    expect({ status: after.status, body: JSON.parse(after.bytes.toString()) }).toEqual({
      status: 404,
      body: LINK_NOT_FOUND,
    });
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
    const busy = await drawLinkId(limited, owner);
    const other = await drawLinkId(limited, owner);
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
