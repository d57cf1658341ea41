// The speed the transfers panel and the device-to-device dialogs show: bytes over the last few
// seconds, not since the start, so a transfer that slows down says so.
import { describe, expect, it } from 'vitest';
import { SpeedMeter } from '../../client/src/services/transfers/speed-meter';

describe('the speed of a transfer', () => {
  it('is 0 until a fifth of a second has passed, then bytes per second over the window', () => {
    const meter = new SpeedMeter(3000);
    expect(meter.record(0, 0)).toBe(0);
    expect(meter.record(1_000_000, 100)).toBe(0);
    expect(meter.record(2_000_000, 1000)).toBe(2_000_000);
  });

  it('forgets what is older than its window, so a slowdown shows', () => {
    const meter = new SpeedMeter(3000);
    for (let second = 0; second <= 5; second++) meter.record(second * 10_000_000, second * 1000);
    // 50 MB in the first five seconds, then 1 MB in the next three.
    expect(meter.record(51_000_000, 8000)).toBeCloseTo(1_000_000 / 3, 0);
  });

  it('starts again after a reset', () => {
    const meter = new SpeedMeter();
    meter.record(0, 0);
    meter.record(5_000_000, 1000);
    meter.reset();
    expect(meter.record(6_000_000, 2000)).toBe(0);
    expect(meter.record(7_000_000, 3000)).toBe(1_000_000);
  });
});
