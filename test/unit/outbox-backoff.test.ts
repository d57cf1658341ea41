import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../client/src/services/platform/backoff';

const policy = { baseMs: 2_000, maxMs: 300_000 };

describe('the retry schedule', () => {
  it('doubles from the base with each attempt', () => {
    const middle = [1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, policy, 0.5));
    expect(middle).toEqual([2_000, 4_000, 8_000, 16_000, 32_000]);
  });

  it('spreads each pause between half and one and a half times its step', () => {
    expect(backoffDelay(3, policy, 0)).toBe(4_000);
    expect(backoffDelay(3, policy, 0.999_999)).toBeCloseTo(12_000, 0);
    for (let i = 0; i < 200; i++) {
      const delay = backoffDelay(4, policy, Math.random());
      expect(delay).toBeGreaterThanOrEqual(8_000);
      expect(delay).toBeLessThan(24_000);
    }
  });

  it('stops growing at the ceiling, however many attempts failed', () => {
    expect(backoffDelay(9, policy, 0.5)).toBe(300_000);
    expect(backoffDelay(1_000, policy, 0.5)).toBe(300_000);
    expect(backoffDelay(1_000, policy, 0.999)).toBeLessThan(450_000);
  });

  it('treats attempt 0 or less as the first', () => {
    expect(backoffDelay(0, policy, 0.5)).toBe(2_000);
    expect(backoffDelay(-3, policy, 0.5)).toBe(2_000);
  });
});
