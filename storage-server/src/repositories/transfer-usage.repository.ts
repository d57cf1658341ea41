import type { Selectable } from 'kysely';
import { compileOnce, type CompiledRunner } from '../db/compiled-query';
import type { Db } from '../db/database';
import type { TransferHoldsTable } from '../db/schema';

export type TransferHoldRow = Selectable<TransferHoldsTable>;

/** One account's row of one month. */
export type UsageMonth = {
  userId: string;
  month: string;
};

/**
 * The transfer_usage and transfer_holds tables: chunk bytes served per account and month, and the
 * part of them still held by responses that have not ended.
 */
export class TransferUsageRepository {
  /** Compiled once: every log-in reads it. */
  private readonly usedIn: CompiledRunner<UsageMonth, { bytes: number }>;

  constructor(private readonly db: Db) {
    this.usedIn = compileOnce(db, (db, p: UsageMonth) =>
      db
        .selectFrom('transfer_usage')
        .select('bytes')
        .where('user_id', '=', p.userId)
        .where('month', '=', p.month),
    );
  }

  async used(to: UsageMonth, db: Db = this.db): Promise<number> {
    const { rows } = await this.usedIn(db, to);
    return rows[0]?.bytes ?? 0;
  }

  /**
   * Adds `bytes` to the month's row, created if need be, in one conditional statement; false, and
   * nothing added, when the total would pass `quota`.
   */
  async addWithin(to: UsageMonth, bytes: number, quota: number, db: Db): Promise<boolean> {
    const result = await db
      .insertInto('transfer_usage')
      .values({ user_id: to.userId, month: to.month, bytes })
      .onConflict((oc) =>
        oc
          .columns(['user_id', 'month'])
          .doUpdateSet((eb) => ({
            bytes: eb('transfer_usage.bytes', '+', eb.ref('excluded.bytes')),
          }))
          .where((eb) => eb(eb('transfer_usage.bytes', '+', bytes), '<=', quota)),
      )
      .executeTakeFirst();
    return result.numInsertedOrUpdatedRows !== 0n;
  }

  /** Adds `bytes` (negative: gives them back) to an existing month's row. */
  async add(to: UsageMonth, bytes: number, db: Db): Promise<void> {
    await db
      .updateTable('transfer_usage')
      .set((eb) => ({ bytes: eb('bytes', '+', bytes) }))
      .where('user_id', '=', to.userId)
      .where('month', '=', to.month)
      .execute();
  }

  async insertHold(hold: TransferHoldRow, db: Db): Promise<void> {
    await db.insertInto('transfer_holds').values(hold).execute();
  }

  /** Deletes the hold; false when it was already gone. */
  async deleteHold(id: string, db: Db): Promise<boolean> {
    const held = await db
      .deleteFrom('transfer_holds')
      .where('id', '=', id)
      .returning('id')
      .executeTakeFirst();
    return held !== undefined;
  }

  /** Deletes every hold expired before `now` and returns them. */
  async deleteExpiredHolds(now: number, db: Db): Promise<(UsageMonth & { bytes: number })[]> {
    const expired = await db
      .deleteFrom('transfer_holds')
      .where('expires_at', '<', now)
      .returning(['user_id', 'month', 'bytes'])
      .execute();
    return expired.map((hold) => ({ userId: hold.user_id, month: hold.month, bytes: hold.bytes }));
  }
}
