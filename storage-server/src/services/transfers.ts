import { randomBytes } from 'node:crypto';
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

/**
 * Longest a chunk response may hold its reservation. Past it, the process serving it is taken
 * for dead and the bytes are given back; a response that was only slow bills what it sent when
 * it ends. Longer than the reverse proxy's write timeout (docs/deploy/Caddyfile: 10 min).
 */
export const TRANSFER_HOLD_MS = 15 * 60_000;

/** Bytes taken from a month's allowance before a chunk is served; settled when it ends. */
export interface TransferReservation {
  holdId: string;
  userId: string;
  month: string;
  bytes: number;
}

/**
 * The monthly transfer counter: chunk bytes served from each account's files. A chunk reserves
 * its bytes before it is sent, in one conditional statement, so parallel downloads can never
 * together pass the quota; what the connection did not take is given back afterwards. The
 * reservation is also written down as a hold, so a process killed mid-response leaves a record
 * that `releaseExpired` settles: a cut response is not billed, its retry elsewhere is.
 */
export class Transfers {
  /** Compiled once: every log-in reads it. */
  private readonly usedIn: CompiledRunner<{ userId: string; month: string }, { bytes: number }>;

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly holdMs = TRANSFER_HOLD_MS,
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
    const now = this.now();
    const month = monthOf(now);
    if (bytes > quota) return null;
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
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
      if (result.numInsertedOrUpdatedRows === 0n) return null;
      const holdId = randomBytes(16).toString('base64url');
      await trx
        .insertInto('transfer_holds')
        .values({ id: holdId, user_id: userId, month, bytes, expires_at: now + this.holdMs })
        .execute();
      return { holdId, userId, month, bytes };
    });
  }

  /** Bills what the response sent: gives back the rest of its reservation. */
  async settle(reservation: TransferReservation, sent: number): Promise<void> {
    const billed = Math.min(sent, reservation.bytes);
    await this.db.transaction().execute(async (trx) => {
      const held = await trx
        .deleteFrom('transfer_holds')
        .where('id', '=', reservation.holdId)
        .returning('id')
        .executeTakeFirst();
      // Still held: give back what was not sent. Already released (the response outlived its
      // hold, and the whole reservation was given back): bill what it did send.
      const change = held ? billed - reservation.bytes : billed;
      if (change !== 0) await this.add(trx, reservation, change);
    });
  }

  /** Gives back the reservations of responses whose process died; how many there were. */
  async releaseExpired(): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const expired = await trx
        .deleteFrom('transfer_holds')
        .where('expires_at', '<', this.now())
        .returning(['user_id', 'month', 'bytes'])
        .execute();
      for (const hold of expired) {
        await this.add(trx, { userId: hold.user_id, month: hold.month }, -hold.bytes);
      }
      return expired.length;
    });
  }

  private async add(db: Db, to: { userId: string; month: string }, bytes: number): Promise<void> {
    await db
      .updateTable('transfer_usage')
      .set((eb) => ({ bytes: eb('bytes', '+', bytes) }))
      .where('user_id', '=', to.userId)
      .where('month', '=', to.month)
      .execute();
  }

  async used(userId: string, db: Db = this.db): Promise<number> {
    const { rows } = await this.usedIn(db, { userId, month: monthOf(this.now()) });
    return rows[0]?.bytes ?? 0;
  }
}
