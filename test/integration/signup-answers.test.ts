import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, PreloginResponse, SignupRequest } from '@coffre/core/protocol';
import { DEFAULT_CONFIG } from '../../storage-server/src/config';
import { openDatabase, type Db } from '../../storage-server/src/db/database';
import { Plans } from '../../storage-server/src/plans';
import { buildServices, type Services } from '../../storage-server/src/services';
import { DiskBlobStore } from '../../storage-server/src/stores/disk-blob-store';
import {
  call,
  signUp,
  signupRequest,
  startServer,
  TEST_DATABASE,
  type TestAccount,
  type TestServer,
} from './harness';
import { createTestDatabase } from './postgres-databases';

// Sign-up must not tell whether an email has an account (protocol.md §3): the same answer, byte
// for byte, and the same work, whatever is stored; only the log-in that follows shows the one who
// chose the password whether the account is theirs.

let server: TestServer;
let owner: TestAccount;
beforeAll(async () => {
  // Behind a proxy, so each attempt below comes from an address of its own and the rate limit's
  // headers count the same for all of them.
  server = await startServer({ trustProxy: 1 });
  owner = await signUp(server);
});
afterAll(async () => {
  await server.close();
});

let nextAddress = 1;

/** The raw answer to a sign-up from a fresh client address, its Date line taken out. */
function rawSignup(request: SignupRequest): Promise<string> {
  const { hostname, port, host } = new URL(server.url);
  const body = Buffer.from(JSON.stringify(request));
  const from = `198.51.100.${nextAddress++}`;
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `POST /api/v1/auth/signup HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\n` +
          `content-length: ${body.length}\r\nx-forwarded-for: ${from}\r\nconnection: close\r\n\r\n`,
      );
      // Not ended here: a server may close a half-closed connection before it answers.
      socket.write(body);
    });
    const received: Buffer[] = [];
    socket.on('data', (part: Buffer) => received.push(part));
    socket.on('end', () =>
      resolve(
        Buffer.concat(received)
          .toString('latin1')
          .replace(/^date: [^\r]*\r\n/im, ''),
      ),
    );
    socket.on('error', reject);
  });
}

const prelogin = async (email: string) =>
  (await call<PreloginResponse>(server, 'POST', '/api/v1/auth/prelogin', { json: { email } })).body;
const login = (request: { email: string; authKey: string }) =>
  call(server, 'POST', '/api/v1/auth/login', {
    json: { email: request.email, authKey: request.authKey },
  });

/** What the owner's account looks like to its owner and to pre-login. */
async function ownerAsSeen() {
  const account = await call<Account>(server, 'GET', '/api/v1/account', { token: owner.token });
  return { account: account.body, prelogin: await prelogin(owner.email) };
}

describe('sign-up answers', () => {
  it('are byte for byte the same for a fresh email, a taken one, a reused user id and a taken root', async () => {
    const before = await ownerAsSeen();
    const unknownEmail = `nobody-${randomBytes(4).toString('hex')}@example.org`;
    const madeUp = await prelogin(unknownEmail);
    const fresh = signupRequest();
    const other = signupRequest();
    const attempts = {
      fresh,
      'the same email in upper case': signupRequest(owner.email.toUpperCase()),
      'the user id pre-login gives for an email with an account': {
        ...signupRequest(),
        userId: before.prelogin.userId,
      },
      'the user id pre-login makes up for an email without one': {
        ...signupRequest(),
        userId: madeUp.userId,
      },
      "the owner's root id": { ...other, bundle: { ...other.bundle, rootId: owner.rootId } },
    };
    const answers = new Map<string, string>();
    for (const [name, request] of Object.entries(attempts)) {
      answers.set(name, await rawSignup(request));
    }
    const first = answers.get('fresh')!;
    expect(first).toMatch(/^HTTP\/1\.1 202 Accepted\r\n/);
    expect(first).toMatch(/\r\ncontent-length: 0\r\n/i);
    expect(first.endsWith('\r\n\r\n')).toBe(true);
    for (const [name, answer] of answers) expect({ name, answer }).toEqual({ name, answer: first });

    // Only the log-in that follows tells: the fresh account is made, nothing else is.
    expect((await login(fresh)).status).toBe(200);
    for (const [name, request] of Object.entries(attempts)) {
      if (name !== 'fresh')
        expect({ name, status: (await login(request)).status }).toMatchObject({
          status: 401,
        });
    }
    // The owner's account and what pre-login says of both emails are as they were.
    expect(await ownerAsSeen()).toEqual(before);
    expect((await login(owner)).status).toBe(200);
    expect(await prelogin(unknownEmail)).toEqual(madeUp);
  });

  it('take a made-up pre-login id for no account, even for its own email', async () => {
    const email = `nobody-${randomBytes(4).toString('hex')}@example.org`;
    const madeUp = await prelogin(email);
    const request = { ...signupRequest(email), userId: madeUp.userId };
    expect((await call(server, 'POST', '/api/v1/auth/signup', { json: request })).status).toBe(202);
    expect((await login(request)).status).toBe(401);
    expect(await prelogin(email)).toEqual(madeUp);
    // A random id for the same email makes the account.
    const honest = signupRequest(email);
    expect((await call(server, 'POST', '/api/v1/auth/signup', { json: honest })).status).toBe(202);
    expect((await login(honest)).status).toBe(200);
  });
});

describe('sign-up work', () => {
  let dir: string;
  let db: Db;
  let services: Services;
  /** How many statements have run, on the database the services were built on. */
  let statements = 0;
  const counter: KyselyPlugin = {
    transformQuery: ({ node }) => node,
    transformResult: async ({ result }) => {
      statements++;
      return result;
    },
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'coffre-it-'));
    const opened = await openDatabase(
      TEST_DATABASE === 'postgres'
        ? { kind: 'postgres', url: await createTestDatabase(), poolSize: 4 }
        : { kind: 'sqlite', file: path.join(dir, 'coffre.sqlite') },
    );
    db = opened.withPlugin(counter);
    services = buildServices(
      db,
      new DiskBlobStore(dir),
      new Plans(DEFAULT_CONFIG.plans),
      randomBytes(32),
      DEFAULT_CONFIG,
    );
  });
  afterAll(async () => {
    await db.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  /** The statements one sign-up ran, alone in its transaction. */
  async function statementsOf(request: SignupRequest): Promise<number> {
    const before = statements;
    await services.accounts.signup(request);
    return statements - before;
  }

  it('is the same statements whatever is stored, and throws for none', async () => {
    const first = signupRequest();
    const madeUp = await services.accounts.prelogin(`nobody@example.org`);
    const other = signupRequest();
    const counts = {
      fresh: await statementsOf(first),
      'a taken email': await statementsOf(signupRequest(first.email)),
      'a taken user id': await statementsOf({ ...signupRequest(), userId: first.userId }),
      'a made-up user id': await statementsOf({ ...signupRequest(), userId: madeUp.userId }),
      'a taken root id': await statementsOf({
        ...other,
        bundle: { ...other.bundle, rootId: first.bundle.rootId },
      }),
      'the same request again': await statementsOf(first),
    };
    // The account's insert and the root folder's, every time.
    expect(counts).toEqual(Object.fromEntries(Object.keys(counts).map((name) => [name, 2])));
    expect(await services.accounts.login(first.email, first.authKey)).toMatchObject({
      account: { userId: first.userId },
    });
  });
});
