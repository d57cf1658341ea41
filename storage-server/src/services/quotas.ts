import type { Plan } from '@coffre/core/protocol';
import { ApiError } from '../api-error';
import type { Db } from '../db/database';
import type { Plans } from '../plans';
import { storageRefusal, transferRefusal } from './quota-messages';
import { nextMonthStart, type TransferReservation, type Transfers } from './transfers';

/** Applies each account's plan: storage at upload creation, transfer before every chunk. */
export class Quotas {
  constructor(
    private readonly db: Db,
    readonly plans: Plans,
    private readonly transfers: Transfers,
    readonly now: () => number,
  ) {}

  async planOf(userId: string, db: Db = this.db): Promise<Plan> {
    const row = await db
      .selectFrom('accounts')
      .select('plan_id')
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return this.plans.resolve(row.plan_id);
  }

  /**
   * Reserves `bytes` of storage in one conditional statement whose quota follows the plan id in
   * the same row, so neither parallel uploads nor a plan change in between can pass the quota.
   * Throws `quota_exceeded` with the figures when it does not fit.
   */
  async reserveStorage(db: Db, userId: string, bytes: number): Promise<void> {
    const { catalog } = this.plans;
    const reserved = await db
      .updateTable('accounts')
      .set((eb) => ({ storage_used: eb('storage_used', '+', bytes) }))
      .where('user_id', '=', userId)
      .where((eb) => {
        let quota = eb.case().when('plan_id', 'is', null).then(this.plans.default.storageQuota);
        for (const plan of catalog.plans) {
          quota = quota.when('plan_id', '=', plan.id).then(plan.storageQuota);
        }
        return eb(
          eb('storage_used', '+', bytes),
          '<=',
          quota.else(this.plans.default.storageQuota).end(),
        );
      })
      .executeTakeFirst();
    if (reserved.numUpdatedRows > 0n) return;
    const [account, plan] = await Promise.all([
      db
        .selectFrom('accounts')
        .select('storage_used')
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow(),
      this.planOf(userId, db),
    ]);
    const details = { needed: bytes, used: account.storage_used, quota: plan.storageQuota };
    throw new ApiError('quota_exceeded', storageRefusal(details), details);
  }

  /**
   * Takes a chunk's bytes from the data owner's monthly transfer before it is served. Throws
   * `transfer_quota_exceeded` (nothing taken) when they would pass the plan's quota.
   */
  async reserveTransfer(ownerId: string, bytes: number): Promise<TransferReservation> {
    const plan = await this.planOf(ownerId);
    const reservation = await this.transfers.reserve(ownerId, bytes, plan.transferQuota);
    if (reservation) return reservation;
    const details = {
      used: await this.transfers.used(ownerId),
      quota: plan.transferQuota,
      resetsAt: this.transferResetsAt(),
    };
    throw new ApiError('transfer_quota_exceeded', transferRefusal(details), details);
  }

  /** When this month's transfer counter gives way to the next month's. */
  transferResetsAt(): number {
    return nextMonthStart(this.now());
  }
}
