import { percentile } from '../launch/load';
import type { Relayed } from './protocol';

/** One line of relay figures: what was sent, and the latency's p50, p99 and max. */
export function latencyLine(
  name: string,
  results: Relayed[],
  { seconds, rate, dataBytes }: { seconds: number; rate: number; dataBytes: number },
): string {
  const all = Float64Array.from(results.flatMap((r) => r.latencies)).sort();
  const sent = results.reduce((n, r) => n + r.sent, 0);
  const lost = results.reduce((n, r) => n + r.lost, 0);
  const ms = (f: number) => percentile(all, f).toFixed(2);
  return (
    `${name}: ${sent} signals of ${dataBytes} B at ${rate}/s for ${seconds} s — ` +
    `p50 ${ms(0.5)} ms, p99 ${ms(0.99)} ms, max ${ms(1)} ms, lost ${lost}`
  );
}
