/** Bytes per second over the last few seconds of a transfer's progress, for a steady figure. */
export class SpeedMeter {
  private samples: { at: number; bytes: number }[] = [];

  constructor(private readonly windowMs = 3000) {}

  /** Records the running total and returns the speed; 0 until a fifth of a second has passed. */
  record(total: number, now = performance.now()): number {
    this.samples.push({ at: now, bytes: total });
    while (this.samples.length > 2 && now - this.samples[0]!.at > this.windowMs) {
      this.samples.shift();
    }
    const first = this.samples[0]!;
    const seconds = (now - first.at) / 1000;
    return seconds > 0.2 ? (total - first.bytes) / seconds : 0;
  }

  /** Starts again, after a pause or a new attempt. */
  reset(): void {
    this.samples = [];
  }
}
