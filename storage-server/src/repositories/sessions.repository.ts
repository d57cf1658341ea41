import type { Insertable, Selectable } from 'kysely';
import { compileOnce, type CompiledRunner } from '../db/compiled-query';
import type { Db } from '../db/database';
import type { SessionsTable } from '../db/schema';

export type SessionRow = Selectable<SessionsTable>;

/** The sessions table: one row per bearer token, keyed by the token's hash. */
export class SessionsRepository {
  /** Compiled once: every sign-up and log-in runs it. */
  private readonly insertRow: CompiledRunner<Insertable<SessionsTable>, unknown>;

  constructor(private readonly db: Db) {
    this.insertRow = compileOnce(db, (db, p: Insertable<SessionsTable>) =>
      db.insertInto('sessions').values({
        token_hash: p.token_hash,
        user_id: p.user_id,
        created_at: p.created_at,
        last_used_at: p.last_used_at,
      }),
    );
  }

  async insert(row: SessionRow, db: Db = this.db): Promise<void> {
    await this.insertRow(db, row);
  }

  async find(tokenHash: string): Promise<Pick<SessionRow, 'user_id' | 'last_used_at'> | undefined> {
    return this.db
      .selectFrom('sessions')
      .select(['user_id', 'last_used_at'])
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
  }

  async touch(tokenHash: string, lastUsedAt: number): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({ last_used_at: lastUsedAt })
      .where('token_hash', '=', tokenHash)
      .execute();
  }

  async delete(tokenHash: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
  }

  /** Every session of the account except `keep`. */
  async deleteOthers(userId: string, keep: string, db: Db = this.db): Promise<void> {
    await db
      .deleteFrom('sessions')
      .where('user_id', '=', userId)
      .where('token_hash', '!=', keep)
      .execute();
  }
}
