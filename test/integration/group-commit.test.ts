import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../storage-server/src/db/database';
import { GroupCommit } from '../../storage-server/src/db/group-commit';
import { newId, randomB64, TEST_DATABASE } from './harness';
import { createTestDatabase } from './postgres-databases';

let dir: string;
let db: Db;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'coffre-it-'));
  // The suite's database: the SQLite file, or PostgreSQL in the integration-scale project.
  db = await openDatabase(
    TEST_DATABASE === 'postgres'
      ? { kind: 'postgres', url: await createTestDatabase(), poolSize: 4 }
      : { kind: 'sqlite', file: path.join(dir, 'coffre.sqlite') },
  );
});
afterAll(async () => {
  await db.destroy();
  await rm(dir, { recursive: true, force: true });
});

function insertAccount(trx: Db, email: string) {
  const id = newId();
  return trx
    .insertInto('accounts')
    .values({
      user_id: id,
      email,
      kdf_salt: randomB64(16),
      kdf_opslimit: 3,
      kdf_memlimit: 64 * 1024 * 1024,
      auth_hash: randomB64(32),
      recovery_auth_hash: randomB64(32),
      wrapped_master_key: 'k',
      wrapped_master_key_recovery: 'k',
      sign_public_key: 'k',
      box_public_key: 'k',
      wrapped_sign_secret_key: 'k',
      wrapped_box_secret_key: 'k',
      root_id: newId(),
      wrapped_root_key: 'k',
      storage_used: 0,
      plan_id: null,
      created_at: 0,
    })
    .execute();
}

const emails = async () =>
  (await db.selectFrom('accounts').select('email').orderBy('email').execute()).map((r) => r.email);

describe('group commit', () => {
  it('commits the works of one turn together, and a failing one alone leaves nothing', async () => {
    const commits = new GroupCommit(db);
    const refused = new Error('refused after writing');
    const outcomes = await Promise.allSettled([
      commits.run(async (trx) => (await insertAccount(trx, 'a@example.org'), 'a')),
      commits.run(async (trx) => {
        await insertAccount(trx, 'b@example.org');
        throw refused;
      }),
      commits.run(async (trx) => (await insertAccount(trx, 'c@example.org'), 'c')),
    ]);
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: 'a' },
      { status: 'rejected', reason: refused },
      { status: 'fulfilled', value: 'c' },
    ]);
    expect(await emails()).toEqual(['a@example.org', 'c@example.org']);
  });

  it('fails the second of two works that collide in one batch, as if they came in turn', async () => {
    const commits = new GroupCommit(db);
    const outcomes = await Promise.allSettled([
      commits.run((trx) => insertAccount(trx, 'd@example.org')),
      commits.run((trx) => insertAccount(trx, 'd@example.org')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected']);
    expect(await emails()).toEqual(['a@example.org', 'c@example.org', 'd@example.org']);
  });
});
