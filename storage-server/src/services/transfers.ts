import { compileOnce, type CompiledRunner } from '../db/compiled-query';
import type { Db } from '../db/database';

/** 'YYYY-MM' of a time, in UTC. */
export function monthOf(time: number): string {
  return new Date(time).toISOString().slice(0, 7);
}

/** The first instant (ms) of the calendar month after the one `time` falls in, in UTC. */
export function nextMonthStart(time: number): number {
  const date = new Date(time);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

/** Bytes taken from a month's allowance before a chunk is served; settled when it ends. */
export interface TransferReservation {
  userId: string;
  month: string;
  bytes: number;
}

/**
 * The monthly transfer counter: chunk bytes served from each account's files. A chunk reserves
 * its bytes before it is sent, in one conditional statement, so parallel downloads can never
 * together pass the quota; what the connection did not take is given back afterwards.
 */
export class Transfers {
  /** Compiled once: every log-in reads it. */
  private readonly usedIn: CompiledRunner<{ userId: string; month: string }, { bytes: number }>;

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {
    this.usedIn = compileOnce(db, (db, p: { userId: string; month: string }) =>
      db
        .selectFrom('transfer_usage')
        .select('bytes')
        .where('user_id', '=', p.userId)
        .where('month', '=', p.month),
    );
  }

  /** Adds `bytes` to this month's row if the total stays within `quota`; null if it would not. */
  async reserve(userId: string, bytes: number, quota: number): Promise<TransferReservation | null> {
    const month = monthOf(this.now());
    if (bytes > quota) return null;
    const result = await this.db
      .insertInto('transfer_usage')
      .values({ user_id: userId, month, bytes })
      .onConflict((oc) =>
        oc
          .columns(['user_id', 'month'])
          .doUpdateSet((eb) => ({
            bytes: eb('transfer_usage.bytes', '+', eb.ref('excluded.bytes')),
          }))
          .where((eb) => eb(eb('transfer_usage.bytes', '+', bytes), '<=', quota)),
      )
      .executeTakeFirst();
    return result.numInsertedOrUpdatedRows === 0n ? null : { userId, month, bytes };
  }

  /** Gives back what a reservation did not use, to the month it was taken from. */
  async settle(reservation: TransferReservation, sent: number): Promise<void> {
    const unused = reservation.bytes - Math.min(sent, reservation.bytes);
    if (unused <= 0) return;
    await this.db
      .updateTable('transfer_usage')
      .set((eb) => ({ bytes: eb('bytes', '-', unused) }))
      .where('user_id', '=', reservation.userId)
      .where('month', '=', reservation.month)
      .execute();
  }

  async used(userId: string, db: Db = this.db): Promise<number> {
    const { rows } = await this.usedIn(db, { userId, month: monthOf(this.now()) });
    return rows[0]?.bytes ?? 0;
  }
}
