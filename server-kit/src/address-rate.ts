/**
 * How many new connections an address may open: a token bucket per address key, refilled at
 * `perSecond` and holding up to ten seconds' worth, so a page that opens a few at once is never
 * refused while an address that opens connections without end gets only its rate. Every cost a
 * connection may impose is bounded per connection; this bounds how many of them an address makes.
 */
export class AddressRate {
  /** Seconds of allowance a quiet address saves up. */
  static readonly BURST_SECONDS = 10;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly burst: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.burst = perSecond * AddressRate.BURST_SECONDS;
  }

  /** Takes one connection from the address's allowance; false when it has none left. */
  take(key: string): boolean {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(
      this.burst,
      bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond,
    );
    bucket.at = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    return true;
  }

  /** Forgets the addresses whose allowance is whole again, so only recent ones take memory. */
  sweep(): void {
    const now = this.now();
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond >= this.burst) {
        this.buckets.delete(key);
      }
    }
  }
}
