import {
  asServiceFailure,
  services,
  type Plan,
  type ServiceFailure,
  type Usage,
  type UsageBreakdown,
} from '../../services';

/** How full a quota is: 'almost' from 90 %, 'full' from 100 % (also when over, after a downgrade). */
export type QuotaLevel = 'ok' | 'almost' | 'full';

export const ALMOST_FULL = 0.9;

export function quotaLevel(used: number, quota: number | null): QuotaLevel {
  if (quota === null) return 'ok';
  if (used >= quota) return 'full';
  return used >= quota * ALMOST_FULL ? 'almost' : 'ok';
}

// The account's usage figures, the plan catalogue and the per-folder breakdown. Figures arrive
// pushed by services (after transfers, on focus, every few seconds), so a plan changed by the
// operator shows without a reload; actions that free space ask for fresh figures at once.
class AccountUsage {
  current = $state<Usage | null>(null);
  plans = $state<Plan[] | null>(null);
  plansError = $state<ServiceFailure | null>(null);
  breakdown = $state<UsageBreakdown | null>(null);
  breakdownError = $state<ServiceFailure | null>(null);
  #unsubscribe: (() => void) | null = null;

  readonly storageLevel = $derived(
    this.current ? quotaLevel(this.current.storageUsed, this.current.storageQuota) : 'ok',
  );
  readonly transferLevel = $derived(
    this.current ? quotaLevel(this.current.transferUsed, this.current.transferQuota) : 'ok',
  );

  start(): void {
    this.#unsubscribe ??= services.onUsage((usage) => (this.current = usage));
    void this.refresh();
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.current = null;
    this.breakdown = null;
    this.breakdownError = null;
  }

  async refresh(): Promise<void> {
    try {
      this.current = await services.usage();
    } catch {
      // The usage bars are secondary; a failed refresh keeps the last figures.
    }
  }

  async loadPlans(): Promise<void> {
    this.plansError = null;
    try {
      this.plans = await services.plans();
    } catch (error) {
      this.plansError = asServiceFailure(error);
    }
  }

  async loadBreakdown(): Promise<void> {
    this.breakdownError = null;
    try {
      const [breakdown] = await Promise.all([services.usageBreakdown(), this.refresh()]);
      this.breakdown = breakdown;
    } catch (error) {
      this.breakdownError = asServiceFailure(error);
    }
  }
}

export const accountUsage = new AccountUsage();
