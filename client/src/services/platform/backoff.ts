// The retry schedule: exponential growth with full-range jitter around it (×0.5 to ×1.5), so
// many devices coming back online after one outage do not retry in lockstep. Pure, for tests.

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** The pause before retry number `attempt` (1 = first retry); `random` is in [0, 1). */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: number): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return ceiling * (0.5 + random);
}
