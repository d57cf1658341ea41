import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check, NodeList, NodeResponse, type ErrorBody } from '@coffre/core/protocol';
import {
  call,
  createFolder,
  newId,
  sealedKey,
  sealedMeta,
  signUp,
  startServer,
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

const children = async (account: TestAccount, id: string) => {
  const reply = await call(server, 'GET', `/api/v1/nodes/${id}/children`, {
    token: account.token,
  });
  expect(reply.status).toBe(200);
  return check(NodeList, reply.body).nodes;
};

const move = (account: TestAccount, id: string, parentId: string) =>
  call<ErrorBody>(server, 'PATCH', `/api/v1/nodes/${id}`, {
    token: account.token,
    json: { encMeta: sealedMeta(), parentId, wrappedKey: sealedKey() },
  });

describe('folders', () => {
  it('creates a folder and lists it under its parent', async () => {
    const id = newId();
    const body = { id, parentId: alice.rootId, wrappedKey: sealedKey(), encMeta: sealedMeta() };
    const reply = await call(server, 'POST', '/api/v1/folders', { token: alice.token, json: body });
    expect(reply.status).toBe(201);
    const { node } = check(NodeResponse, reply.body);
    expect(node).toMatchObject({ ...body, type: 'folder', trashedAt: null, file: null });
    expect(node.createdAt).toBe(server.clock.time);

    const listed = await children(alice, alice.rootId);
    expect(listed.map((n) => n.id)).toContain(id);
    const one = await call(server, 'GET', `/api/v1/nodes/${id}`, { token: alice.token });
    expect(check(NodeResponse, one.body).node).toEqual(node);
  });

  it('refuses a taken id, a parent that is a file or missing, and malformed blobs', async () => {
    const id = await createFolder(server, alice, alice.rootId);
    const again = await call<ErrorBody>(server, 'POST', '/api/v1/folders', {
      token: alice.token,
      json: { id, parentId: alice.rootId, wrappedKey: sealedKey(), encMeta: sealedMeta() },
    });
    expect(again.status).toBe(409);
    const missingParent = await call(server, 'POST', '/api/v1/folders', {
      token: alice.token,
      json: { id: newId(), parentId: newId(), wrappedKey: sealedKey(), encMeta: sealedMeta() },
    });
    expect(missingParent.status).toBe(404);
    const hugeMeta = await call(server, 'POST', '/api/v1/folders', {
      token: alice.token,
      json: {
        id: newId(),
        parentId: alice.rootId,
        wrappedKey: sealedKey(),
        encMeta: 'A'.repeat(6000),
      },
    });
    expect(hugeMeta.status).toBe(400);
    const notBase64 = await call(server, 'POST', '/api/v1/folders', {
      token: alice.token,
      json: {
        id: newId(),
        parentId: alice.rootId,
        wrappedKey: sealedKey(),
        encMeta: `${sealedMeta()}==`,
      },
    });
    expect(notBase64.status).toBe(400);
  });
});

describe('rename and move', () => {
  it('renames with new metadata only', async () => {
    const id = await createFolder(server, alice, alice.rootId);
    const encMeta = sealedMeta();
    const reply = await call(server, 'PATCH', `/api/v1/nodes/${id}`, {
      token: alice.token,
      json: { encMeta },
    });
    expect(reply.status).toBe(200);
    expect(check(NodeResponse, reply.body).node).toMatchObject({ encMeta, parentId: alice.rootId });
  });

  it('moves with the key rewrapped, and needs both parentId and wrappedKey', async () => {
    const a = await createFolder(server, alice, alice.rootId);
    const b = await createFolder(server, alice, alice.rootId);
    const half = await call(server, 'PATCH', `/api/v1/nodes/${b}`, {
      token: alice.token,
      json: { encMeta: sealedMeta(), parentId: a },
    });
    expect(half.status).toBe(400);
    const reply = await move(alice, b, a);
    expect(reply.status).toBe(200);
    expect((await children(alice, a)).map((n) => n.id)).toEqual([b]);
    expect((await children(alice, alice.rootId)).map((n) => n.id)).not.toContain(b);
  });

  it('refuses cycles and any change to the root', async () => {
    const top = await createFolder(server, alice, alice.rootId);
    const middle = await createFolder(server, alice, top);
    const bottom = await createFolder(server, alice, middle);
    for (const target of [top, middle, bottom]) {
      const reply = await move(alice, top, target);
      expect(reply.status).toBe(409);
      expect(reply.body.error.code).toBe('conflict');
    }
    expect((await move(alice, alice.rootId, top)).status).toBe(409);
    const renameRoot = await call(server, 'PATCH', `/api/v1/nodes/${alice.rootId}`, {
      token: alice.token,
      json: { encMeta: sealedMeta() },
    });
    expect(renameRoot.status).toBe(409);
    expect((await children(alice, middle)).map((n) => n.id)).toEqual([bottom]);
  });
});

describe('another account', () => {
  it('sees 404 for every id it does not own, never 403', async () => {
    const secret = await createFolder(server, alice, alice.rootId);
    const attempts = [
      call(server, 'GET', `/api/v1/nodes/${secret}`, { token: bob.token }),
      call(server, 'GET', `/api/v1/nodes/${secret}/children`, { token: bob.token }),
      call(server, 'GET', `/api/v1/nodes/${alice.rootId}/children`, { token: bob.token }),
      call(server, 'PATCH', `/api/v1/nodes/${secret}`, {
        token: bob.token,
        json: { encMeta: sealedMeta() },
      }),
      call(server, 'DELETE', `/api/v1/nodes/${secret}`, { token: bob.token }),
      call(server, 'POST', `/api/v1/nodes/${secret}/restore`, { token: bob.token }),
      call(server, 'POST', '/api/v1/folders', {
        token: bob.token,
        json: { id: newId(), parentId: secret, wrappedKey: sealedKey(), encMeta: sealedMeta() },
      }),
      move(bob, (await signUp(server)).rootId, secret),
    ];
    for (const reply of await Promise.all(attempts)) {
      expect(reply.status).toBe(404);
      expect((reply.body as ErrorBody).error.code).toBe('not_found');
    }
    // Moving one's own folder into someone else's is just as unknown.
    const own = await createFolder(server, bob, bob.rootId);
    expect((await move(bob, own, secret)).status).toBe(404);
    expect((await children(alice, secret)).length).toBe(0);
  });
});

describe('rubbish bin', () => {
  it('hides a trashed folder with its subtree and lists only the top of it in the bin', async () => {
    const folder = await createFolder(server, alice, alice.rootId);
    const inner = await createFolder(server, alice, folder);
    const del = await call(server, 'DELETE', `/api/v1/nodes/${folder}`, { token: alice.token });
    expect(del.status).toBe(204);

    expect((await children(alice, alice.rootId)).map((n) => n.id)).not.toContain(folder);
    const trash = await call(server, 'GET', '/api/v1/trash', { token: alice.token });
    const binned = check(NodeList, trash.body).nodes;
    expect(binned.map((n) => n.id)).toContain(folder);
    expect(binned.map((n) => n.id)).not.toContain(inner);
    expect(binned.find((n) => n.id === folder)?.trashedAt).toBe(server.clock.time);

    // Nothing new goes into a folder in the bin, and nothing in it moves.
    const into = await call(server, 'POST', '/api/v1/folders', {
      token: alice.token,
      json: { id: newId(), parentId: inner, wrappedKey: sealedKey(), encMeta: sealedMeta() },
    });
    expect(into.status).toBe(409);
    expect((await move(alice, inner, alice.rootId)).status).toBe(409);

    // Restoring the inner one alone is refused; restoring the top brings back the tree.
    const early = await call(server, 'POST', `/api/v1/nodes/${inner}/restore`, {
      token: alice.token,
    });
    expect(early.status).toBe(409);
    const restored = await call(server, 'POST', `/api/v1/nodes/${folder}/restore`, {
      token: alice.token,
    });
    expect(restored.status).toBe(200);
    expect(check(NodeResponse, restored.body).node.trashedAt).toBeNull();
    expect((await children(alice, alice.rootId)).map((n) => n.id)).toContain(folder);
    expect((await children(alice, folder)).map((n) => n.id)).toEqual([inner]);
    const after = await call(server, 'GET', '/api/v1/trash', { token: alice.token });
    expect(check(NodeList, after.body).nodes.map((n) => n.id)).not.toContain(folder);
  });

  it('never trashes the root, and the bin is per account', async () => {
    const root = await call(server, 'DELETE', `/api/v1/nodes/${alice.rootId}`, {
      token: alice.token,
    });
    expect(root.status).toBe(409);
    const folder = await createFolder(server, alice, alice.rootId);
    await call(server, 'DELETE', `/api/v1/nodes/${folder}`, { token: alice.token });
    const bobTrash = await call(server, 'GET', '/api/v1/trash', { token: bob.token });
    expect(check(NodeList, bobTrash.body).nodes).toEqual([]);
  });

  it('needs a session for every tree route', async () => {
    const routes: [string, string][] = [
      ['GET', `/api/v1/nodes/${alice.rootId}`],
      ['GET', `/api/v1/nodes/${alice.rootId}/children`],
      ['DELETE', `/api/v1/nodes/${alice.rootId}`],
      ['POST', `/api/v1/nodes/${alice.rootId}/restore`],
      ['GET', '/api/v1/trash'],
    ];
    for (const [method, path] of routes) {
      expect((await call(server, method, path)).status).toBe(401);
    }
  });
});
