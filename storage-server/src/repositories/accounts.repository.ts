import type { Selectable } from 'kysely';
import { compileOnce } from '../db/compiled-query';
import type { Db } from '../db/database';
import type { AccountsTable } from '../db/schema';

export type AccountRow = Selectable<AccountsTable>;

/** What a password change replaces. */
export type CredentialColumns = Pick<
  AccountRow,
  'kdf_salt' | 'kdf_opslimit' | 'kdf_memlimit' | 'auth_hash' | 'wrapped_master_key'
>;

/** The storage quota of each plan id, and of an account whose plan id is null or none of them. */
export interface StorageQuotas {
  plans: readonly { id: string; storageQuota: number }[];
  fallback: number;
}

const ACCOUNT_COLUMNS = [
  'user_id',
  'email',
  'kdf_salt',
  'kdf_opslimit',
  'kdf_memlimit',
  'auth_hash',
  'recovery_auth_hash',
  'wrapped_master_key',
  'wrapped_master_key_recovery',
  'sign_public_key',
  'box_public_key',
  'wrapped_sign_secret_key',
  'wrapped_box_secret_key',
  'root_id',
  'wrapped_root_key',
  'storage_used',
  'plan_id',
  'created_at',
] as const satisfies readonly (keyof AccountRow)[];

/** The queries of sign-up and log-in, compiled once: they run under every flood. */
function accountQueries(db: Db) {
  return {
    findByEmail: compileOnce(db, (db, p: { email: string }) =>
      db.selectFrom('accounts').selectAll().where('email', '=', p.email),
    ),
    /**
     * Inserts nothing unless `claimable` is 1 and the email, user id and root id are free: taken
     * by no account, and the root id by no node nor open upload. One statement whatever the
     * outcome, so a sign-up's work does not tell which it was.
     */
    create: compileOnce(db, (db, p: AccountRow & { claimable: number }) =>
      db
        .insertInto('accounts')
        .columns(ACCOUNT_COLUMNS)
        .expression(
          db
            .selectNoFrom((eb) => ACCOUNT_COLUMNS.map((column) => eb.val(p[column]).as(column)))
            .where((eb) =>
              eb.and([
                eb(eb.val(p.claimable), '=', eb.lit(1)),
                eb.not(eb.exists(eb.selectFrom('nodes').select('id').where('id', '=', p.root_id))),
                eb.not(
                  eb.exists(eb.selectFrom('uploads').select('id').where('node_id', '=', p.root_id)),
                ),
              ]),
            ),
        )
        .onConflict((oc) => oc.doNothing()),
    ),
  };
}

/** The accounts table: credentials, key bundles, plan and storage used. */
export class AccountsRepository {
  private readonly queries: ReturnType<typeof accountQueries>;

  constructor(private readonly db: Db) {
    this.queries = accountQueries(db);
  }

  async findByEmail(email: string): Promise<AccountRow | undefined> {
    const { rows } = await this.queries.findByEmail(this.db, { email });
    return rows[0];
  }

  /** Whether the account was made; see `create` above for when it is not (nothing is written). */
  async create(row: AccountRow, claimable: boolean, db: Db = this.db): Promise<boolean> {
    const result = await this.queries.create(db, { ...row, claimable: claimable ? 1 : 0 });
    return result.numAffectedRows === 1n;
  }

  async get(userId: string, db: Db = this.db): Promise<AccountRow> {
    return db
      .selectFrom('accounts')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
  }

  async setCredentials(userId: string, columns: CredentialColumns, db: Db = this.db) {
    await db.updateTable('accounts').set(columns).where('user_id', '=', userId).execute();
  }

  async planId(userId: string, db: Db = this.db): Promise<string | null> {
    const row = await db
      .selectFrom('accounts')
      .select('plan_id')
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return row.plan_id;
  }

  async rootId(userId: string): Promise<string> {
    const row = await this.db
      .selectFrom('accounts')
      .select('root_id')
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return row.root_id;
  }

  async storageUsed(userId: string, db: Db = this.db): Promise<number> {
    const row = await db
      .selectFrom('accounts')
      .select('storage_used')
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return row.storage_used;
  }

  /**
   * Adds `bytes` to the storage used in one conditional statement whose quota follows the plan id
   * in the same row; false, and nothing added, when the total would pass that quota.
   */
  async reserveStorage(
    userId: string,
    bytes: number,
    quotas: StorageQuotas,
    db: Db = this.db,
  ): Promise<boolean> {
    const reserved = await db
      .updateTable('accounts')
      .set((eb) => ({ storage_used: eb('storage_used', '+', bytes) }))
      .where('user_id', '=', userId)
      .where((eb) => {
        let quota = eb.case().when('plan_id', 'is', null).then(quotas.fallback);
        for (const plan of quotas.plans) {
          quota = quota.when('plan_id', '=', plan.id).then(plan.storageQuota);
        }
        return eb(eb('storage_used', '+', bytes), '<=', quota.else(quotas.fallback).end());
      })
      .executeTakeFirst();
    return reserved.numUpdatedRows > 0n;
  }

  /** Gives `bytes` of storage back to the account. */
  async releaseStorage(userId: string, bytes: number, db: Db = this.db): Promise<void> {
    await db
      .updateTable('accounts')
      .set((eb) => ({ storage_used: eb('storage_used', '-', bytes) }))
      .where('user_id', '=', userId)
      .execute();
  }
}
