// PostgreSQL killed under a running storage server, then started again: requests in between fail
// cleanly with 503 `unavailable` (readiness says so too, the process stays up), nothing half-done
// is left behind, and the same server serves again once the database is back. A request whose
// transaction loses its connection midway is told the same way, though what reaches the handler
// is the error of Kysely's rollback on the dead connection, not the one that killed it.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../storage-server/src/db/database';
import { isDatabaseUnavailable } from '../../storage-server/src/db/unavailable';
import {
  call,
  fakeChunks,
  signUp,
  signupRequest,
  startServer,
  uploadFile,
  type TestServer,
} from './harness';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres';

let db: PrivatePostgres;
let server: TestServer;

beforeAll(async () => {
  db = await startPrivatePostgres();
  server = await startServer({ databaseUrl: db.url, redis: null });
});
afterAll(async () => {
  await server?.close();
  await db?.close();
});

async function untilReady(): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await call(server, 'GET', '/api/v1/ready')).status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('never ready again');
}

describe('a PostgreSQL restart under a running storage server', () => {
  it('fails requests cleanly while it is down and serves again once it is back', async () => {
    const account = await signUp(server);
    const before = await uploadFile(server, account, account.rootId, fakeChunks(1000));

    await db.kill();
    const refused = signupRequest();
    for (const attempt of [
      call(server, 'GET', '/api/v1/account', { token: account.token }),
      call(server, 'POST', '/api/v1/auth/signup', { json: refused }),
      call(server, 'GET', `/api/v1/nodes/${account.rootId}/children`, { token: account.token }),
    ]) {
      const { status, body } = await attempt;
      expect(status).toBe(503);
      expect(body).toMatchObject({ error: { code: 'unavailable' } });
    }
    expect((await call(server, 'GET', '/api/v1/ready')).status).toBe(503);
    expect((await call(server, 'GET', '/api/v1/health')).status).toBe(200);

    await db.start();
    await untilReady();
    const children = await call<{ nodes: { id: string }[] }>(
      server,
      'GET',
      `/api/v1/nodes/${account.rootId}/children`,
      { token: account.token },
    );
    expect(children.status).toBe(200);
    expect(children.body.nodes.map((node) => node.id)).toEqual([before]);
    await uploadFile(server, account, account.rootId, fakeChunks(2000));
    // The sign-up refused while the database was down left nothing behind: it goes through now.
    const again = await call(server, 'POST', '/api/v1/auth/signup', { json: refused });
    expect(again.status).toBe(202);
    const login = { email: refused.email, authKey: refused.authKey };
    expect((await call(server, 'POST', '/api/v1/auth/login', { json: login })).status).toBe(200);
  });

  it('tells a connection lost inside a transaction as unavailable, whatever its rollback says', async () => {
    const own = await openDatabase({ kind: 'postgres', url: db.url, poolSize: 1 });
    try {
      const failure = await own
        .transaction()
        .execute(async (trx) => {
          await sql`select 1`.execute(trx);
          await db.kill();
          await sql`select 1`.execute(trx);
        })
        .then(
          () => new Error('the transaction went through with the database killed'),
          (error: unknown) => error,
        );
      expect(isDatabaseUnavailable(failure), String(failure)).toBe(true);
    } finally {
      await db.start();
      await own.destroy();
    }
  });
});
