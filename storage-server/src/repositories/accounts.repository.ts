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

/** The queries of sign-up and log-in, compiled once: they run under every flood. */
function accountQueries(db: Db) {
  return {
    findByEmail: compileOnce(db, (db, p: { email: string }) =>
      db.selectFrom('accounts').selectAll().where('email', '=', p.email),
    ),
    /** Inserts nothing when the email, user id or root id is taken. */
    insert: compileOnce(db, (db, p: AccountRow) =>
      db
        .insertInto('accounts')
        .values({
          user_id: p.user_id,
          email: p.email,
          kdf_salt: p.kdf_salt,
          kdf_opslimit: p.kdf_opslimit,
          kdf_memlimit: p.kdf_memlimit,
          auth_hash: p.auth_hash,
          recovery_auth_hash: p.recovery_auth_hash,
          wrapped_master_key: p.wrapped_master_key,
          wrapped_master_key_recovery: p.wrapped_master_key_recovery,
          sign_public_key: p.sign_public_key,
          box_public_key: p.box_public_key,
          wrapped_sign_secret_key: p.wrapped_sign_secret_key,
          wrapped_box_secret_key: p.wrapped_box_secret_key,
          root_id: p.root_id,
          wrapped_root_key: p.wrapped_root_key,
          storage_used: p.storage_used,
          plan_id: p.plan_id,
          created_at: p.created_at,
        })
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

  /** False, and nothing written, when the email, user id or root id is taken. */
  async insert(row: AccountRow, db: Db = this.db): Promise<boolean> {
    const result = await this.queries.insert(db, row);
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
