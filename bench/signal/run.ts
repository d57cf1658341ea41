// bench/signal: how many concurrent sockets one signal-server process holds, its memory per
// socket, and the relay latency with all of them connected. The server runs as its own process
// (as `npm start` runs it), so its memory is its own; the clients are real socket.io-client
// websockets in separate load-generator processes on the same machine, over loopback.
// Then the abuse row (abuse.ts): a bystander's relay latency while each abuse runs.
// Usage: npm run bench:signal [-- sockets [generators [rate [seconds]]]] [--abuse-only]
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { cpuSecondsOf } from '../launch/cpu';
import { rssOf, samplePeak } from '../lib/processes';
import { abuseRows } from './abuse';
import { latencyLine } from './latency';
import { Generator, startSignalProcess } from './processes';
import type { Connected, Relayed } from './protocol';

const numbers = process.argv
  .slice(2)
  .filter((a) => !a.startsWith('--'))
  .map(Number);
/** Only the abuse row: no ramp to SOCKETS, no raised open-file limit needed. */
const ABUSE_ONLY = process.argv.includes('--abuse-only');
const SOCKETS = numbers[0] || 10_000;
const GENERATORS = numbers[1] || 2;
const RATE = numbers[2] || 1000;
const SECONDS = numbers[3] || 10;
/** A sealed SDP offer with its candidates is about this size. */
const DATA_BYTES = 1024;
/** Source addresses per generator: each gives about 28,000 ephemeral ports towards one server. */
const ADDRESSES_PER_GENERATOR = 2;
const CONCURRENCY = 200;
const BASELINE_SOCKETS = 20;
const MiB = 1024 * 1024;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');

function openFileLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  return Number(line?.split(/\s+/)[3] ?? 0);
}

const openFiles = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

async function main() {
  const limit = openFileLimit();
  if (limit < SOCKETS + 200) {
    console.log(
      `open-file limit is ${limit}: the server needs one descriptor per socket. ` +
        `Raise it first (ulimit -n ${SOCKETS + 1000}) for ${SOCKETS} sockets.`,
    );
  }
  const loadStart = load();
  // One generator is one machine here: the bench raises the per-address and total caps
  // explicitly, above the run's count, and says so.
  const capEnv = {
    COFFRE_SIGNAL_MAX_CONNECTIONS_PER_IP: String(SOCKETS + 100),
    COFFRE_SIGNAL_CONNECTIONS_PER_SECOND: String(SOCKETS + 100),
    COFFRE_SIGNAL_MAX_CONNECTIONS: String(SOCKETS + 100),
  };
  const server = await startSignalProcess(capEnv);
  await sleep(1000);
  const rssIdle = rssOf(server.pid);

  const generators = Array.from({ length: GENERATORS }, () => new Generator());
  const addresses = (g: number) =>
    Array.from(
      { length: ADDRESSES_PER_GENERATOR },
      (_, k) => `127.0.0.${2 + g * ADDRESSES_PER_GENERATOR + k}`,
    );

  // Baseline in the same run: a few pairs on an otherwise empty server, 100 signals/s for 3 s
  // (each socket well under the per-socket event cap).
  const baseline = await generators[0]!.ask<Connected>({
    type: 'connect',
    url: server.url,
    sockets: BASELINE_SOCKETS,
    localAddresses: addresses(0),
    concurrency: BASELINE_SOCKETS,
  });
  if (baseline.held !== BASELINE_SOCKETS) throw new Error('could not open the baseline pairs');
  const quiet = await generators[0]!.ask<Relayed>({
    type: 'relay',
    rate: 100,
    seconds: 3,
    dataBytes: DATA_BYTES,
    pairs: BASELINE_SOCKETS / 2,
  });

  // Ramp up to SOCKETS (the baseline pairs count).
  const peak = samplePeak(() => rssOf(server.pid), 200);
  const cpuBefore = cpuSecondsOf(server.pid);
  // Even shares (rooms of 2); the first generator takes what does not divide.
  const rest = SOCKETS - BASELINE_SOCKETS;
  const evenShare = Math.floor(rest / GENERATORS / 2) * 2;
  const share = (g: number) => (g === 0 ? rest - evenShare * (GENERATORS - 1) : evenShare);
  const connected = await Promise.all(
    generators.map((generator, g) =>
      generator.ask<Connected>({
        type: 'connect',
        url: server.url,
        sockets: share(g),
        localAddresses: addresses(g),
        concurrency: CONCURRENCY,
      }),
    ),
  );
  const rampCpu = cpuSecondsOf(server.pid) - cpuBefore;
  const held = BASELINE_SOCKETS + connected.reduce((n, c) => n + c.held, 0);
  const failed = connected.reduce((n, c) => n + c.failed, 0);
  const rampMs = Math.max(...connected.map((c) => c.elapsedMs));
  await sleep(3000);
  const rssHeld = rssOf(server.pid);
  const fds = openFiles(server.pid);

  // Relay at a fixed total rate, spread over every pair of every generator.
  const relayCpuBefore = cpuSecondsOf(server.pid);
  const generatorCpu = () => generators.reduce((n, g) => n + cpuSecondsOf(g.child.pid!), 0);
  const generatorCpuBefore = generatorCpu();
  const loaded = await Promise.all(
    generators.map((generator) =>
      generator.ask<Relayed>({
        type: 'relay',
        rate: RATE / GENERATORS,
        seconds: SECONDS,
        dataBytes: DATA_BYTES,
        pairs: 0,
      }),
    ),
  );
  const relayCpu = cpuSecondsOf(server.pid) - relayCpuBefore;
  const relayGeneratorCpu = generatorCpu() - generatorCpuBefore;
  const generatorLoopDelay = Math.max(...loaded.map((r) => r.loopDelayP99Ms));
  const generatorLoopDelayMax = Math.max(...loaded.map((r) => r.loopDelayMaxMs));
  const peakRss = peak.stop();
  const stillConnected = loaded.reduce((n, r) => n + r.stillConnected, 0);
  const rssAfter = rssOf(server.pid);

  const perSocketKiB = (rssHeld - rssIdle) / held / 1024;
  console.log(
    `\none signal-server process; ${GENERATORS} load-generator processes on the same machine, ` +
      `loopback from ${GENERATORS * ADDRESSES_PER_GENERATOR} source addresses (127.0.0.2…)`,
  );
  console.log(
    `bench config: per-address, new-per-second and total connection caps raised to ` +
      `${SOCKETS + 100} (defaults 64, 2 and 20,000); every other setting at its default`,
  );
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
      `open-file limit ${limit}`,
  );
  console.log(`target: ${SOCKETS} sockets held`);
  console.log('');
  console.log(
    `sockets held: ${held} of ${SOCKETS} (failed ${failed}), in ${held / 2} rooms of 2; ` +
      `ramp ${(rampMs / 1000).toFixed(1)} s (${Math.round((held / rampMs) * 1000)}/s), ` +
      `server CPU ${rampCpu.toFixed(1)} s; server open files ${fds}`,
  );
  console.log(
    `server RSS: ${(rssIdle / MiB).toFixed(1)} MiB idle, ${(rssHeld / MiB).toFixed(1)} MiB holding ` +
      `${held} sockets → ${perSocketKiB.toFixed(1)} KiB per socket; ` +
      `peak ${(peakRss / MiB).toFixed(1)} MiB, ${(rssAfter / MiB).toFixed(1)} MiB after the relay run`,
  );
  console.log(
    latencyLine(`relay, baseline (${BASELINE_SOCKETS} sockets)`, [quiet], {
      seconds: 3,
      rate: 100,
      dataBytes: DATA_BYTES,
    }),
  );
  console.log(
    latencyLine(`relay, ${held} sockets held`, loaded, {
      seconds: SECONDS,
      rate: RATE,
      dataBytes: DATA_BYTES,
    }),
  );
  console.log(
    `  CPU over the run: server ${relayCpu.toFixed(1)} s, generators ${relayGeneratorCpu.toFixed(1)} s; ` +
      `generator event-loop delay p99 ${generatorLoopDelay.toFixed(1)} ms, ` +
      `max ${generatorLoopDelayMax.toFixed(1)} ms (included in the latency); ` +
      `sockets still connected ${stillConnected} of ${held}`,
  );
  console.log(`load average (1/5/15 min): ${loadStart} at start, ${load()} at the end`);

  await Promise.all(generators.map((generator) => generator.close()));
  server.child.kill('SIGTERM');
}

if (!ABUSE_ONLY) await main();
for (const line of await abuseRows()) console.log(line);
