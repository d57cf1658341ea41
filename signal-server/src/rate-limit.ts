/**
 * A one-second fixed window per socket: cheap (two numbers per socket), and enough to stop one
 * socket flooding the relay. Returns true once the socket is over its allowance.
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
