// A bystander's relay while a hostile client abuses the same signal server (protocol.md §5.4):
// the abuser runs in a process of its own at the lowest priority (signal-abuses.ts), the
// bystander is a pair of real socket.io-client sockets in a room. The bound here is loose, for a
// shared machine; bench:signal prints the figures precisely.
import { describe, expect, it } from 'vitest';
import type { RelayedSignal } from '@coffre/core/protocol';
import { DEFAULT_SIGNAL_CONFIG } from '../../signal-server/src/config';
import { client, joinAs, newRoomId, sealed, signal, startSignal } from './signal-harness';
import { ABUSES, abuseFromAnotherProcess } from './signal-abuses';

const MEASURE_MS = 3000;
/** The abuse runs a little past the measure, so all of it is measured under the abuse. */
const ABUSE_SECONDS = MEASURE_MS / 1000 + 1;
const SIGNALS_PER_SECOND = 40;
/** Sixteen loopback addresses for the abuser; the bystander is 127.0.0.1. */
const ABUSER_ADDRESSES = Array.from({ length: 16 }, (_, i) => `127.0.0.${i + 2}`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Two members of a room; `relay` sends a signal every so often and times each one's arrival. */
async function bystander(url: string) {
  const [a, b] = await Promise.all([client(url), client(url)]);
  const roomId = newRoomId();
  await joinAs(a, roomId);
  const to = await joinAs(b, roomId);
  return {
    connected: () => a.connected && b.connected,
    async relay(ms: number): Promise<number[]> {
      const latencies: number[] = [];
      const sentAt = new Map<string, number>();
      const onSignal = (message: RelayedSignal) => {
        const t0 = sentAt.get(message.data);
        if (t0 !== undefined) latencies.push(performance.now() - t0);
      };
      b.on('signal', onSignal);
      const count = Math.round((ms / 1000) * SIGNALS_PER_SECOND);
      for (let i = 0; i < count; i++) {
        const data = sealed(64);
        sentAt.set(data, performance.now());
        void signal(a, { roomId, to, data });
        await sleep(1000 / SIGNALS_PER_SECOND);
      }
      await sleep(500);
      b.off('signal', onSignal);
      expect(latencies).toHaveLength(count);
      return latencies.sort((x, y) => x - y);
    },
  };
}

const p99 = (sorted: number[]) => sorted[Math.ceil(sorted.length * 0.99) - 1]!;

describe('a bystander while a client abuses the server', () => {
  it.each(ABUSES)('is relayed promptly during %s', async (abuse) => {
    const { maxEventsPerSecond, maxConnectionsPerIp, maxNewConnectionsPerSecond } =
      DEFAULT_SIGNAL_CONFIG;
    const { url } = await startSignal({
      maxEventsPerSecond,
      maxConnectionsPerIp,
      maxNewConnectionsPerSecond,
    });
    const pair = await bystander(url);
    const quiet = await pair.relay(MEASURE_MS / 2);
    const abused = abuseFromAnotherProcess({
      abuse,
      url,
      seconds: ABUSE_SECONDS,
      addresses: ABUSER_ADDRESSES,
    });
    await abused.started;
    const during = await pair.relay(MEASURE_MS);
    const report = await abused.report;
    expect(report.sent).toBeGreaterThan(0);
    expect(report.closings).toBeLessThanOrEqual(report.opened);
    const figures = `p99 ${p99(quiet).toFixed(1)} ms quiet; abuser ${JSON.stringify(report)}`;
    expect(p99(during), figures).toBeLessThan(100);
    expect(pair.connected()).toBe(true);
  });
});
