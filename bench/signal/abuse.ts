// bench:signal's abuse row: a bystander's relay latency while each abuse of protocol.md §5.4
// runs against one signal-server process at its default settings, against the quiet baseline on
// the same server in the same run. The abuser is the integration test's own
// (test/integration/signal-abuses.ts), in a process of its own from 16 other loopback addresses;
// the bystander pairs are real socket.io-client sockets in a load generator.
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSecondsOf } from '../launch/cpu';
import {
  ABUSES,
  abuseFromAnotherProcess,
  type Abuse,
  type AbuseReport,
} from '../../test/integration/signal-abuses';
import { latencyLine } from './latency';
import { Generator, startSignalProcess } from './processes';
import type { Connected, Relayed, RelayOrder } from './protocol';

const PAIRS = 4;
/** Signals per second over all the pairs: each sender stays well under the per-socket rate. */
const RATE = 100;
const MEASURE_SECONDS = 5;
const DATA_BYTES = 1024;
const BYSTANDER_ADDRESSES = ['127.0.0.2', '127.0.0.3'];
const ABUSER_ADDRESSES = Array.from({ length: 16 }, (_, i) => `127.0.1.${i + 1}`);

const DESCRIPTIONS: Record<Abuse, string> = {
  'namespace-loop': '16 connections: connect, 40 events, leave the namespace, again',
  'event-flood': '16 connections flooding events, connecting again when cut off',
  'noop-flood': '16 connections flooding noops and pongs, connecting again when cut off',
  'handshake-burst': '1,000 sockets from 16 addresses, 100 handshakes at a time, again',
  'slow-connections': '300 connections from one address that never finish a request',
};

const reportLine = (r: AbuseReport) =>
  `abuser: ${r.opened} connections let in, ${r.refused} refused, ${r.sent} packets sent, ` +
  `${r.closings} closing events received`;

export async function abuseRows(): Promise<string[]> {
  const server = await startSignalProcess({});
  const generator = new Generator();
  const lines: string[] = [];
  try {
    const bystanders = await generator.ask<Connected>({
      type: 'connect',
      url: server.url,
      sockets: 2 * PAIRS,
      localAddresses: BYSTANDER_ADDRESSES,
      concurrency: 2 * PAIRS,
    });
    if (bystanders.held !== 2 * PAIRS) throw new Error('could not open the bystander pairs');
    const order: RelayOrder = {
      type: 'relay',
      rate: RATE,
      seconds: MEASURE_SECONDS,
      dataBytes: DATA_BYTES,
      pairs: PAIRS,
    };
    const figures = { seconds: MEASURE_SECONDS, rate: RATE, dataBytes: DATA_BYTES };

    lines.push(
      '',
      'abuse row: one signal-server process at its default settings (64 connections and 2 new ' +
        'ones a second per address, 50 packets per connection per second, request heads ' +
        'within 5 s); ' +
        `bystander: ${PAIRS} pairs in a load generator; each abuse from ${ABUSER_ADDRESSES.length} ` +
        `other addresses in a process of its own, measured from its start`,
    );
    const quiet = await generator.ask<Relayed>(order);
    lines.push(latencyLine('relay, quiet', [quiet], figures));
    for (const abuse of ABUSES) {
      const cpuBefore = cpuSecondsOf(server.pid);
      const abused = abuseFromAnotherProcess({
        abuse,
        url: server.url,
        seconds: MEASURE_SECONDS + 1,
        addresses: ABUSER_ADDRESSES,
      });
      await abused.started;
      const during = await generator.ask<Relayed>(order);
      const report = await abused.report;
      const cpu = cpuSecondsOf(server.pid) - cpuBefore;
      lines.push(
        latencyLine(`relay, during ${abuse} (${DESCRIPTIONS[abuse]})`, [during], figures),
        `  server CPU ${cpu.toFixed(1)} s over the abuse; ${reportLine(report)}; ` +
          `bystander sockets still connected ${during.stillConnected} of ${2 * PAIRS}`,
      );
      // What the abuse left behind (connections in their grace, heads in their bound) ends.
      await sleep(6000);
    }
  } finally {
    await generator.close();
    server.child.kill('SIGTERM');
  }
  return lines;
}
