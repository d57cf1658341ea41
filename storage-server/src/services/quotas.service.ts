import type { Plan } from '@coffre/core/protocol';
import { ApiError } from '../api-error';
import type { Db } from '../db/database';
import type { Plans } from '../plans';
import type { Repositories } from '../repositories';
import type { StorageQuotas } from '../repositories/accounts.repository';
import { storageRefusal, transferRefusal } from './quota-messages';
import {
  nextMonthStart,
  type TransferMeter,
  type TransferReservation,
} from './transfer-meter.service';

/** Applies each account's plan: storage at upload creation, transfer before every chunk. */
export class Quotas {
  /** The storage quota of every plan id, as the database applies it. */
  private readonly storageQuotas: StorageQuotas;

  constructor(
    private readonly repositories: Pick<Repositories, 'accounts'>,
    readonly plans: Plans,
    private readonly transferMeter: TransferMeter,
    readonly now: () => number,
  ) {
    this.storageQuotas = { plans: plans.catalog.plans, fallback: plans.default.storageQuota };
  }

  async planOf(userId: string, db?: Db): Promise<Plan> {
    return this.plans.resolve(await this.repositories.accounts.planId(userId, db));
  }

  /**
   * Reserves `bytes` of storage in one conditional statement whose quota follows the plan id in
   * the same row, so neither parallel uploads nor a plan change in between can pass the quota.
   * Throws `quota_exceeded` with the figures when it does not fit.
   */
  async reserveStorage(db: Db, userId: string, bytes: number): Promise<void> {
    const { accounts } = this.repositories;
    if (await accounts.reserveStorage(userId, bytes, this.storageQuotas, db)) return;
    const [used, plan] = await Promise.all([
      accounts.storageUsed(userId, db),
      this.planOf(userId, db),
    ]);
    const details = { needed: bytes, used, quota: plan.storageQuota };
    throw new ApiError('quota_exceeded', storageRefusal(details), details);
  }

  /**
   * Takes a chunk's bytes from the data owner's monthly transfer before it is served. Throws
   * `transfer_quota_exceeded` (nothing taken) when they would pass the plan's quota.
   */
  async reserveTransfer(ownerId: string, bytes: number): Promise<TransferReservation> {
    const plan = await this.planOf(ownerId);
    const reservation = await this.transferMeter.reserve(ownerId, bytes, plan.transferQuota);
    if (reservation) return reservation;
    const details = {
      used: await this.transferMeter.used(ownerId),
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
