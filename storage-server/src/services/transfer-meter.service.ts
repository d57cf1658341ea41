import type { Db } from '../db/database';
import type { Repositories } from '../repositories';
import { randomId } from './hashing';

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
export class TransferMeter {
  constructor(
    private readonly db: Db,
    private readonly repositories: Pick<Repositories, 'transferUsage'>,
    private readonly now: () => number,
    private readonly holdMs = TRANSFER_HOLD_MS,
  ) {}

  /** Adds `bytes` to this month's row if the total stays within `quota`; null if it would not. */
  async reserve(userId: string, bytes: number, quota: number): Promise<TransferReservation | null> {
    const now = this.now();
    const month = monthOf(now);
    if (bytes > quota) return null;
    const { transferUsage } = this.repositories;
    return this.db.transaction().execute(async (trx) => {
      if (!(await transferUsage.addWithin({ userId, month }, bytes, quota, trx))) return null;
      const holdId = randomId();
      const hold = { id: holdId, user_id: userId, month, bytes, expires_at: now + this.holdMs };
      await transferUsage.insertHold(hold, trx);
      return { holdId, userId, month, bytes };
    });
  }

  /** Bills what the response sent: gives back the rest of its reservation. */
  async settle(reservation: TransferReservation, sent: number): Promise<void> {
    const billed = Math.min(sent, reservation.bytes);
    const { transferUsage } = this.repositories;
    await this.db.transaction().execute(async (trx) => {
      const held = await transferUsage.deleteHold(reservation.holdId, trx);
      // Still held: give back what was not sent. Already released (the response outlived its
      // hold, and the whole reservation was given back): bill what it did send.
      const change = held ? billed - reservation.bytes : billed;
      if (change !== 0) await transferUsage.add(reservation, change, trx);
    });
  }

  /** Gives back the reservations of responses whose process died; how many there were. */
  async releaseExpired(): Promise<number> {
    const { transferUsage } = this.repositories;
    return this.db.transaction().execute(async (trx) => {
      const expired = await transferUsage.deleteExpiredHolds(this.now(), trx);
      for (const hold of expired) await transferUsage.add(hold, -hold.bytes, trx);
      return expired.length;
    });
  }

  /** What the account's files have served this month. */
  async used(userId: string): Promise<number> {
    return this.repositories.transferUsage.used({ userId, month: monthOf(this.now()) });
  }
}
