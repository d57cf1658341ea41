/**
 * A one-second fixed window per connection: cheap (two numbers per connection), and enough to
 * stop one connection flooding the relay. Returns true once it is over its allowance.
 */
export function eventRateLimiter(maxPerSecond: number, now: () => number = Date.now) {
  let windowStart = now();
  let count = 0;
  return (): boolean => {
    const t = now();
    if (t - windowStart >= 1000) {
      windowStart = t;
      count = 0;
    }
    count += 1;
    return count > maxPerSecond;
  };
}
