import type { Db } from '../db/database';

/** 'YYYY-MM' of a time, in UTC. */
export function monthOf(time: number): string {
  return new Date(time).toISOString().slice(0, 7);
}

/** The monthly transfer counter: chunk bytes served from each account's files. */
export class Transfers {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  /** Adds to this month's row, creating it on the first byte of the month. */
  async add(userId: string, bytes: number): Promise<void> {
    if (bytes <= 0) return;
    await this.db
      .insertInto('transfer_usage')
      .values({ user_id: userId, month: monthOf(this.now()), bytes })
      .onConflict((oc) =>
        oc.columns(['user_id', 'month']).doUpdateSet((eb) => ({
          bytes: eb('transfer_usage.bytes', '+', eb.ref('excluded.bytes')),
        })),
      )
      .execute();
  }

  async used(userId: string, db: Db = this.db): Promise<number> {
    const row = await db
      .selectFrom('transfer_usage')
      .select('bytes')
      .where('user_id', '=', userId)
      .where('month', '=', monthOf(this.now()))
      .executeTakeFirst();
    return row?.bytes ?? 0;
  }
}
