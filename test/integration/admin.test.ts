import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, ErrorBody, PlanCatalog } from '@coffre/core/protocol';
import { buildApp } from '../../storage-server/src/app';
import { DEFAULT_CONFIG } from '../../storage-server/src/config';
import {
  call,
  fakeChunks,
  signUp,
  startServer,
  storesOf,
  TEST_DATABASE,
  uploadFile,
  type TestAccount,
  uploadRequest,
  type TestServer,
} from './harness';
import { createTestDatabase } from './postgres-databases';

const PLANS: PlanCatalog = {
  default: 'tiny',
  plans: [
    { id: 'tiny', name: 'Tiny', storageQuota: 2000, transferQuota: 1e9 },
    { id: 'big', name: 'Big', storageQuota: 1e12, transferQuota: 1e12 },
  ],
};

let server: TestServer;
let plansFile: string;

beforeAll(async () => {
  server = await startServer({ plans: PLANS });
  plansFile = path.join(server.dataDir, 'plans.json');
  await writeFile(plansFile, JSON.stringify(PLANS));
});
afterAll(async () => {
  await server.close();
});

interface AdminRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `npm run admin -- ...args` as its own process against the test server's data dir. */
function admin(args: string[], env: Record<string, string> = {}): Promise<AdminRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'storage-server/src/admin.ts', ...args],
      {
        env: {
          ...process.env,
          COFFRE_DATA_DIR: server.dataDir,
          ...(server.config.databaseUrl ? { DATABASE_URL: server.config.databaseUrl } : {}),
          COFFRE_PLANS_FILE: plansFile,
          ...env,
        },
      },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

async function usage(account: TestAccount) {
  return (await call<Account>(server, 'GET', '/api/v1/account', { token: account.token })).body
    .usage;
}

// Each run is a new process with its own TypeScript loader: seconds each on a busy machine.
describe('npm run admin -- plan', { timeout: 120_000 }, () => {
  it('lists the configured plans', async () => {
    const run = await admin(['plan', 'list']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^tiny\s+Tiny\s+2 kB\s+1 GB\s+default$/m);
    expect(run.stdout).toMatch(/^big\s+Big\s+1 TB\s+1 TB$/m);
  });

  it('changes a plan while the server runs; the account shows it at once', async () => {
    const account = await signUp(server);
    expect((await usage(account)).plan).toEqual({ id: 'tiny', name: 'Tiny' });

    const run = await admin(['plan', 'set', account.email.toUpperCase(), 'big']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`${account.email}: Tiny (tiny) -> Big (big)`);
    expect(await usage(account)).toMatchObject({
      plan: { id: 'big', name: 'Big' },
      storageQuota: 1e12,
      transferQuota: 1e12,
    });

    const shown = await admin(['plan', 'show', account.email]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('plan:      Big (big)');
    expect(shown.stdout).toContain('transfer:  0 bytes of 1 TB in 2026-');
  });

  it('refuses forged plan names, unknown emails and bad arguments, changing nothing', async () => {
    const account = await signUp(server);
    for (const forged of ['pro-ii', '../big; DROP TABLE accounts']) {
      const run = await admin(['plan', 'set', account.email, forged]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('the plans are: tiny, big');
      expect(run.stdout).toBe('');
    }
    const unknown = await admin(['plan', 'set', 'nobody@example.org', 'big']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no account with the email nobody@example.org');

    for (const args of [[], ['plan', 'set', account.email]]) {
      const run = await admin(args);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('usage: npm run admin -- <command>');
      expect(run.stderr).toContain('plan set <email> <plan-id>');
    }
    expect((await usage(account)).plan.id).toBe('tiny');
  });

  it('downgrades below usage: nothing is deleted, the next upload is refused with the figures', async () => {
    const account = await signUp(server);
    await admin(['plan', 'set', account.email, 'big']);
    const chunks = fakeChunks(3000);
    const file = await uploadFile(server, account, account.rootId, chunks);
    const used = chunks[0]!.length;

    const run = await admin(['plan', 'set', account.email, 'tiny']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Big (big) -> Tiny (tiny)');
    expect(run.stdout).toContain('nothing is deleted, but uploads are refused until usage fits');

    expect(await usage(account)).toMatchObject({ storageUsed: used, storageQuota: 2000 });
    const still = await call(server, 'GET', `/api/v1/files/${file}`, { token: account.token });
    expect(still.status).toBe(200);
    const refused = await call<ErrorBody>(server, 'POST', '/api/v1/uploads', {
      token: account.token,
      json: uploadRequest(account.rootId, 141, 1),
    });
    expect(refused.status).toBe(507);
    expect(refused.body.error.details).toEqual({ needed: 141, used, quota: 2000 });
    expect(refused.body.error.message).toBe(
      'Not enough storage: this upload needs 0.14 kB and 0.00 kB of your 2 kB are free.',
    );
  });

  it('falls back to the default plan when the account plan is no longer configured, and says so', async () => {
    const account = await signUp(server);
    await admin(['plan', 'set', account.email, 'big']);
    const withoutBig: PlanCatalog = { default: 'tiny', plans: [PLANS.plans[0]!] };
    const smallerFile = path.join(server.dataDir, 'plans-without-big.json');
    await writeFile(smallerFile, JSON.stringify(withoutBig));

    const shown = await admin(['plan', 'show', account.email], { COFFRE_PLANS_FILE: smallerFile });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('plan:      Tiny (tiny)');
    expect(shown.stdout).toContain(
      'plan "big" is no longer configured: the default plan Tiny (tiny) applies',
    );

    // A server on the same data with that catalogue answers the default plan.
    const other = await buildApp({
      ...DEFAULT_CONFIG,
      ...storesOf(server),
      logLevel: 'silent',
      plans: withoutBig,
      now: server.clock.now,
    });
    try {
      const reply = await other.inject({
        method: 'GET',
        url: '/api/v1/account',
        headers: { authorization: `Bearer ${account.token}` },
      });
      expect((reply.json() as Account).usage.plan).toEqual({ id: 'tiny', name: 'Tiny' });
    } finally {
      await other.close();
    }
  });

  it('refuses a data dir or database URL without a database instead of creating one', async () => {
    const run = await admin(['plan', 'show', 'a@example.org'], {
      COFFRE_DATA_DIR: path.join(server.dataDir, 'elsewhere'),
      // An empty PostgreSQL database is as wrong as an empty data dir.
      ...(TEST_DATABASE === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {}),
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      TEST_DATABASE === 'postgres' ? 'holds no Coffre schema' : 'no database at',
    );
  });
});
