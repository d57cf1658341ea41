import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, ErrorBody, PreloginResponse, SessionResponse } from '@coffre/core/protocol';
import {
  Account as AccountSchema,
  check,
  PreloginResponse as PreloginSchema,
} from '@coffre/core/protocol';
import {
  call,
  createFolder,
  kdf,
  newId,
  randomB64,
  sealedKey,
  sealedMeta,
  signUp,
  signupRequest,
  startServer,
  storesOf,
  type Endpoint,
  type TestServer,
} from './harness';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

describe('sign-up', () => {
  const signup = (json: unknown) => call(server, 'POST', '/api/v1/auth/signup', { json });
  const login = (request: { email: string; authKey: string }) =>
    call<SessionResponse>(server, 'POST', '/api/v1/auth/login', {
      json: { email: request.email, authKey: request.authKey },
    });

  it('creates the account with its root folder; the log-in that follows opens its session', async () => {
    const request = signupRequest('  Alice.Example@Example.ORG ');
    const reply = await signup(request);
    expect(reply.status).toBe(202);
    expect(reply.body).toBe('');
    const session = await login({ email: 'alice.example@example.org', authKey: request.authKey });
    expect(session.status).toBe(200);
    const account = check(AccountSchema, session.body.account);
    expect(account.email).toBe('alice.example@example.org');
    expect(account.userId).toBe(request.userId);
    expect(account.bundle).toEqual(request.bundle);
    expect(account.usage).toEqual({
      storageUsed: 0,
      storageQuota: 50e9,
      transferUsed: 0,
      transferQuota: 100e9,
      transferResetsAt: Date.UTC(2026, 11, 1),
      plan: { id: 'free', name: 'Free' },
    });

    const root = await call<{ node: unknown }>(
      server,
      'GET',
      `/api/v1/nodes/${request.bundle.rootId}`,
      { token: session.body.token },
    );
    expect(root.status).toBe(200);
    expect(root.body.node).toMatchObject({
      id: request.bundle.rootId,
      parentId: null,
      type: 'folder',
      wrappedKey: null,
      encMeta: null,
      file: null,
    });
  });

  it('makes no second account for the same email, whatever its case, and says nothing of it', async () => {
    const first = await signUp(server);
    const again = signupRequest(first.email.toUpperCase());
    const reply = await signup(again);
    expect(reply.status).toBe(202);
    expect(reply.body).toBe('');
    expect((await login(again)).status).toBe(401);
    expect((await login(first)).body.account.userId).toBe(first.userId);
  });

  it('makes nothing of a user id or root id that is already taken', async () => {
    const first = await signUp(server);
    const sameUser = { ...signupRequest(), userId: first.userId };
    expect((await signup(sameUser)).status).toBe(202);
    expect((await login(sameUser)).status).toBe(401);
    const other = signupRequest();
    const sameRoot = { ...other, bundle: { ...other.bundle, rootId: first.rootId } };
    expect((await signup(sameRoot)).status).toBe(202);
    expect((await login(sameRoot)).status).toBe(401);
    expect((await login(first)).body.account.userId).toBe(first.userId);
  });

  it('makes nothing of a root id that is a node or an open upload, and keeps nothing of the attempt', async () => {
    const owner = await signUp(server);
    const nodeId = newId();
    const upload = await call(server, 'POST', '/api/v1/uploads', {
      token: owner.token,
      json: {
        nodeId,
        parentId: owner.rootId,
        wrappedKey: sealedKey(),
        encMeta: sealedMeta(),
        revision: 1,
        wrappedContentKey: sealedKey(),
        size: 100,
        chunkCount: 1,
      },
    });
    expect(upload.status).toBe(201);
    const folder = await createFolder(server, owner, owner.rootId);
    for (const rootId of [nodeId, folder]) {
      const request = signupRequest();
      const taken = { ...request, bundle: { ...request.bundle, rootId } };
      expect((await signup(taken)).status).toBe(202);
      expect((await login(taken)).status).toBe(401);
      // The attempt left no account: the same email and user id sign up afterwards.
      expect((await signup(request)).status).toBe(202);
      expect((await login(request)).status).toBe(200);
    }
  });

  it('answers each of many sign-ups sent at once on its own, two for one email among them', async () => {
    const requests = Array.from({ length: 12 }, () => signupRequest());
    const sent = [...requests, signupRequest(requests[3]!.email)];
    const replies = await Promise.all(sent.map(signup));
    expect(replies.map((r) => r.status)).toEqual(sent.map(() => 202));
    const logins = [];
    for (const request of sent) logins.push((await login(request)).status);
    expect(logins.filter((s) => s === 200)).toHaveLength(12);
    // Either of the two sign-ups with one email may arrive first: that one owns it.
    expect([logins[3], logins[12]].sort()).toEqual([200, 401]);
  });

  it('enforces the KDF floor and the shapes of every field', async () => {
    const weak = { ...signupRequest(), kdf: { ...kdf(), opslimit: 2 } };
    const lowMemory = { ...signupRequest(), kdf: { ...kdf(), memlimit: 32 * 1024 * 1024 } };
    const otherAlg = { ...signupRequest(), kdf: { ...kdf(), alg: 'argon2i13' } };
    const badEmail = signupRequest('not-an-email');
    const badId = { ...signupRequest(), userId: 'short' };
    const shortKey = { ...signupRequest(), authKey: randomB64(16) };
    const extra = { ...signupRequest(), admin: true };
    const hugeKey = {
      ...signupRequest(),
      bundle: { ...signupRequest().bundle, wrappedMasterKey: randomB64(4000) },
    };
    for (const json of [weak, lowMemory, otherAlg, badEmail, badId, shortKey, extra, hugeKey]) {
      const reply = await call<ErrorBody>(server, 'POST', '/api/v1/auth/signup', { json });
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe('bad_request');
    }
  });
});

describe('pre-login', () => {
  it('returns the stored KDF parameters for a known email', async () => {
    const account = await signUp(server);
    const reply = await call<PreloginResponse>(server, 'POST', '/api/v1/auth/prelogin', {
      json: { email: ` ${account.email.toUpperCase()}` },
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ userId: account.userId, kdf: account.signup.kdf });
  });

  it('answers an unknown email with a stable, well-formed fake', async () => {
    const ask = (email: string) =>
      call<PreloginResponse>(server, 'POST', '/api/v1/auth/prelogin', { json: { email } });
    const first = await ask('nobody@example.org');
    const second = await ask('Nobody@Example.org');
    const other = await ask('someone-else@example.org');
    expect(first.status).toBe(200);
    check(PreloginSchema, first.body);
    expect(second.body).toEqual(first.body);
    expect(other.body.userId).not.toBe(first.body.userId);
    expect(other.body.kdf.salt).not.toBe(first.body.kdf.salt);
    expect(first.body.kdf).toMatchObject({ alg: 'argon2id13', opslimit: 3, memlimit: 67108864 });
  });

  it('answers an unknown email the same on every node and after a restart', async () => {
    const ask = (endpoint: Endpoint) =>
      call<PreloginResponse>(endpoint, 'POST', '/api/v1/auth/prelogin', {
        json: { email: 'nobody-at-all@example.org' },
      });
    const before = (await ask(server)).body;
    // Another node on the same stores (a restart is the same case).
    const other = await startServer({ ...storesOf(server), now: server.clock.now });
    try {
      expect((await ask(other)).body).toEqual(before);
    } finally {
      await other.app.close();
    }
    // A server with stores of its own has a secret of its own.
    const elsewhere = await startServer();
    try {
      expect((await ask(elsewhere)).body).not.toEqual(before);
    } finally {
      await elsewhere.close();
    }
  });

  it('adopts the secret an older server kept in its data dir', async () => {
    const legacy = randomBytes(32);
    const servers: TestServer[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const dataDir = await mkdtemp(path.join(tmpdir(), 'coffre-it-'));
        await writeFile(path.join(dataDir, 'server-secret'), legacy);
        servers.push(await startServer({ dataDir }));
      }
      const answers = await Promise.all(
        servers.map(async (node) => {
          const reply = await call<PreloginResponse>(node, 'POST', '/api/v1/auth/prelogin', {
            json: { email: 'nobody-at-all@example.org' },
          });
          return reply.body;
        }),
      );
      // Two separate stores, one old secret: the same answers as the old server gave.
      expect(answers[1]).toEqual(answers[0]);
    } finally {
      for (const node of servers) await node.close();
    }
  });
});

describe('login, recovery and logout', () => {
  it('logs in with the auth key and refuses a wrong key exactly like an unknown email', async () => {
    const account = await signUp(server);
    const ok = await call<SessionResponse>(server, 'POST', '/api/v1/auth/login', {
      json: { email: account.email, authKey: account.authKey },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.account.userId).toBe(account.userId);
    expect(ok.body.token).not.toBe(account.token);

    const wrongKey = await call(server, 'POST', '/api/v1/auth/login', {
      json: { email: account.email, authKey: randomB64(32) },
    });
    const unknown = await call(server, 'POST', '/api/v1/auth/login', {
      json: { email: 'ghost@example.org', authKey: randomB64(32) },
    });
    const recoveryKeyAsAuth = await call(server, 'POST', '/api/v1/auth/login', {
      json: { email: account.email, authKey: account.recoveryAuthKey },
    });
    const expected = { error: { code: 'unauthorized', message: 'invalid credentials' } };
    for (const reply of [wrongKey, unknown, recoveryKeyAsAuth]) {
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual(expected);
    }
  });

  it('opens a session with the recovery auth key, handing back the recovery-wrapped master key', async () => {
    const account = await signUp(server);
    const reply = await call<SessionResponse>(server, 'POST', '/api/v1/auth/recover', {
      json: { email: account.email, recoveryAuthKey: account.recoveryAuthKey },
    });
    expect(reply.status).toBe(200);
    expect(reply.body.account.bundle.wrappedMasterKeyRecovery).toBe(
      account.signup.bundle.wrappedMasterKeyRecovery,
    );
    const wrong = await call(server, 'POST', '/api/v1/auth/recover', {
      json: { email: account.email, recoveryAuthKey: account.authKey },
    });
    expect(wrong.status).toBe(401);
  });

  it('kills the token on logout', async () => {
    const account = await signUp(server);
    expect((await call(server, 'GET', '/api/v1/account', { token: account.token })).status).toBe(
      200,
    );
    expect(
      (await call(server, 'POST', '/api/v1/auth/logout', { token: account.token })).status,
    ).toBe(204);
    const after = await call<ErrorBody>(server, 'GET', '/api/v1/account', { token: account.token });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('unauthorized');
  });

  it('refuses missing, malformed and made-up tokens', async () => {
    for (const token of [undefined, 'abc', randomB64(32)]) {
      const reply = await call<ErrorBody>(server, 'GET', '/api/v1/account', { token });
      expect(reply.status).toBe(401);
    }
    const basic = await call(server, 'GET', '/api/v1/account', {
      headers: { authorization: `Basic ${randomB64(32)}` },
    });
    expect(basic.status).toBe(401);
  });

  it('expires a session left unused for 30 days', async () => {
    const account = await signUp(server);
    server.clock.advance(31 * 24 * 60 * 60 * 1000);
    const reply = await call(server, 'GET', '/api/v1/account', { token: account.token });
    expect(reply.status).toBe(401);
  });
});

describe('password change', () => {
  const change = (token: string, proof: object) => ({
    token,
    json: { proof, kdf: kdf(), authKey: randomB64(32), wrappedMasterKey: sealedKey() },
  });

  it('replaces the verifier and ends every other session, keeping the current one', async () => {
    const account = await signUp(server);
    const other = await call<SessionResponse>(server, 'POST', '/api/v1/auth/login', {
      json: { email: account.email, authKey: account.authKey },
    });
    const request = change(account.token, { authKey: account.authKey });
    const reply = await call(server, 'POST', '/api/v1/account/password', request);
    expect(reply.status).toBe(204);

    expect((await call(server, 'GET', '/api/v1/account', { token: other.body.token })).status).toBe(
      401,
    );
    const current = await call<Account>(server, 'GET', '/api/v1/account', {
      token: account.token,
    });
    expect(current.status).toBe(200);
    expect(current.body.kdf).toEqual(request.json.kdf);
    expect(current.body.bundle.wrappedMasterKey).toBe(request.json.wrappedMasterKey);

    const oldKey = await call(server, 'POST', '/api/v1/auth/login', {
      json: { email: account.email, authKey: account.authKey },
    });
    expect(oldKey.status).toBe(401);
    const newKey = await call(server, 'POST', '/api/v1/auth/login', {
      json: { email: account.email, authKey: request.json.authKey },
    });
    expect(newKey.status).toBe(200);
  });

  it('accepts the recovery auth key as proof', async () => {
    const account = await signUp(server);
    const reply = await call(
      server,
      'POST',
      '/api/v1/account/password',
      change(account.token, { recoveryAuthKey: account.recoveryAuthKey }),
    );
    expect(reply.status).toBe(204);
  });

  it('refuses a wrong proof and changes nothing', async () => {
    const account = await signUp(server);
    const reply = await call<ErrorBody>(
      server,
      'POST',
      '/api/v1/account/password',
      change(account.token, { authKey: randomB64(32) }),
    );
    expect(reply.status).toBe(403);
    expect(reply.body.error.code).toBe('forbidden');
    const login = await call(server, 'POST', '/api/v1/auth/login', {
      json: { email: account.email, authKey: account.authKey },
    });
    expect(login.status).toBe(200);
  });

  it('needs a session', async () => {
    const account = await signUp(server);
    const reply = await call(server, 'POST', '/api/v1/account/password', {
      json: change('', { authKey: account.authKey }).json,
    });
    expect(reply.status).toBe(401);
  });
});

describe('rate limits', () => {
  it('behind a proxy, counts the address the proxy saw, not what the client wrote before it', async () => {
    const limited = await startServer({
      trustProxy: 1,
      authRateLimit: { max: 2, windowMs: 60_000 },
    });
    try {
      const attempt = (forwardedFor: string) =>
        call(limited, 'POST', '/api/v1/auth/prelogin', {
          json: { email: 'someone@example.org' },
          headers: { 'x-forwarded-for': forwardedFor },
        });
      // One client (203.0.113.7 as the proxy saw it) inventing a new address before it each time.
      const statuses = [];
      for (let i = 1; i <= 3; i++)
        statuses.push((await attempt(`198.51.100.${i}, 203.0.113.7`)).status);
      expect(statuses).toEqual([200, 200, 429]);
      // Another client behind the same proxy is not affected.
      expect((await attempt('203.0.113.8')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('answers 429 in the envelope once an IP exceeds the login limit', async () => {
    const limited = await startServer({ authRateLimit: { max: 3, windowMs: 60_000 } });
    try {
      const attempt = () =>
        call<ErrorBody>(limited, 'POST', '/api/v1/auth/login', {
          json: { email: 'someone@example.org', authKey: randomB64(32) },
        });
      for (let i = 0; i < 3; i++) expect((await attempt()).status).toBe(401);
      const blocked = await attempt();
      expect(blocked.status).toBe(429);
      expect(blocked.body.error.code).toBe('rate_limited');
      expect(blocked.headers.get('retry-after')).toBeTruthy();
      expect((await call(limited, 'GET', '/api/v1/health')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
