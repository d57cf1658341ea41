// Direct transfer throughput against a bare RTCDataChannel, between two Chromium processes over
// loopback. The two variants run interleaved (bare, Coffre, then Coffre, bare, …) on the same
// bytes, so a change in the shared machine's load hits both alike; it prints every run, the
// medians and the ratio of the medians (the target is at least 0.9), with the CPU time each
// browser spent.
//   npm run bench:p2p                              1 GiB (the size of record), 4 rounds
//   npm run bench:p2p -- --size 128 --rounds 2     a quicker look (MiB)
// It enters a loopback-only network namespace, so it runs as root.
import { readFileSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Browser, CDPSession, Page } from 'playwright-core';
import {
  assertLoopbackOnly,
  launchChromium,
  openHarnessPage,
  startHarness,
} from '../../test/p2p/loopback';

const MiB = 1024 * 1024;
const { values } = parseArgs({
  options: {
    size: { type: 'string' },
    rounds: { type: 'string' },
    /** One more run of each variant, not counted, with both pages' main threads sampled. */
    profile: { type: 'boolean' },
    /** Also reads each run's packet and message counts (getStats every 200 ms in both pages). */
    wire: { type: 'boolean' },
  },
});
const size = Number(values.size ?? process.env.COFFRE_BENCH_P2P_MIB ?? 1024) * MiB;
const rounds = Number(values.rounds ?? 4);
if (!(size > 0) || !(rounds > 0)) throw new Error('--size (MiB) and --rounds must be positive');

const WHAT_EACH_VARIANT_DOES = `\
- bare:   one RTCDataChannel, 16 KiB messages of constant bytes, sent while bufferedAmount is
          under 1 MiB, resumed on bufferedamountlow at 256 KiB; the receiver only counts bytes.
          Timed from the open channel to the last byte received.
- Coffre: the P2P transport (sendToDevice/receiveFromDevice): sealed 4 MiB chunks (sealed
          beforehand, held in memory, as the app serves stored chunks) in 16 KiB frames with the
          same water marks, requested ahead, each verified in the crypto worker pool (SHA-256 id,
          AEAD) and acknowledged. Timed from the verified offer to the last verified chunk.`;

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** Busy and total jiffies of the whole machine, to tell a saturated machine from a slow channel. */
function machineTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1);
  const n = fields.map(Number);
  const total = n.reduce((a, b) => a + b, 0);
  return { busy: total - n[3]! - n[4]!, total }; // less idle and iowait
}

type ThreadCpu = Map<string, { name: string; s: number }>;

/**
 * One CPU sample of a browser, from one SystemInfo.getProcessInfo call: seconds by process (keyed
 * by type), and seconds by thread of its renderers, read from /proc (Linux only), which tell the
 * page's main thread, its crypto workers and WebRTC's own threads apart.
 */
async function cpuSample(
  cdp: CDPSession,
): Promise<{ byProcess: Map<string, number>; threads: ThreadCpu }> {
  const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
  const byProcess = new Map<string, number>();
  for (const p of processInfo) byProcess.set(`${p.type}:${p.id}`, p.cpuTime);
  const renderers = processInfo.filter((p) => p.type === 'renderer').map((p) => p.id);
  return { byProcess, threads: threadCpu(renderers) };
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

function threadCpu(pids: number[]): ThreadCpu {
  const threads: ThreadCpu = new Map();
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // the process ended meanwhile
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        // "tid (name) state …": the name may hold spaces; utime and stime are fields 14 and 15.
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const ticks = Number(rest[11]) + Number(rest[12]);
        threads.set(`${pid}:${tid}`, {
          name: name.replace(/[\d/]+$/, ''),
          s: ticks / CLOCK_TICKS,
        });
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return threads;
}

/** The renderer threads that spent the most, by name ("WebRTC_W_and_N 10.3, chromium 1.6, …"). */
function topThreads(before: ThreadCpu, after: ThreadCpu, n: number): string {
  const byName = new Map<string, number>();
  for (const [key, { name, s }] of after) {
    byName.set(name, (byName.get(name) ?? 0) + s - (before.get(key)?.s ?? 0));
  }
  return [...byName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, s]) => `${name} ${s.toFixed(1)}`)
    .join(', ');
}

function cpuSpent(before: Map<string, number>, after: Map<string, number>) {
  const byType: Record<string, number> = {};
  for (const [key, seconds] of after) {
    const type = key.split(':')[0]!.replace('network.mojom.NetworkService', 'network');
    byType[type] = (byType[type] ?? 0) + seconds - (before.get(key) ?? 0);
  }
  const total = Object.values(byType).reduce((a, b) => a + b, 0);
  return { total, byType };
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  const ms = 120_000 + (size / 1e6 / 0.5) * 1000; // fails loudly below 0.5 MB/s
  return Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} took over ${ms / 1000} s`)), ms),
    ),
  ]);
}

/** Main-thread self time by function, from a CDP Profiler profile; the top `n` lines. */
interface CpuProfile {
  startTime: number;
  endTime: number;
  nodes: {
    hitCount?: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }[];
}

function topFunctions(profile: CpuProfile, n: number): string[] {
  const self = new Map<string, number>();
  let total = 0;
  let all = 0;
  for (const node of profile.nodes) {
    all += node.hitCount ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    const hits = node.hitCount ?? 0;
    if (functionName === '(idle)' || functionName === '(program)') continue;
    total += hits;
    const key = `${functionName || '(anonymous)'} ${url.split('/').pop()}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + hits);
  }
  const seconds = (profile.endTime - profile.startTime) / 1e6;
  const busy = `main thread busy ${((seconds * total) / (all || 1)).toFixed(1)} s of ${seconds.toFixed(1)} s`;
  return [
    busy,
    ...[...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([key, hits]) => `${((100 * hits) / (total || 1)).toFixed(1).padStart(5)}%  ${key}`),
  ];
}

/** Packets and messages each way, and the payload bytes per packet, of the run just ended. */
async function wireLine(pages: Page[]): Promise<string> {
  const [sent, got] = await Promise.all(
    pages.map((page) => page.evaluate(() => window.p2pHarness.wireCounts())),
  );
  if (!sent || !got) return 'no reading';
  const perPacket = sent.bytesSent / (sent.packetsSent || 1);
  return (
    `sender ${sent.packetsSent} packets (${perPacket.toFixed(0)} B each), ${sent.messagesSent} messages; ` +
    `receiver ${got.packetsSent} packets, ${got.messagesSent} messages`
  );
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

assertLoopbackOnly();
const harness = await startHarness();
const browsers: Browser[] = await Promise.all([launchChromium(), launchChromium()]);
try {
  const [sender, receiver] = (await Promise.all(
    browsers.map((browser) => openHarnessPage(browser, harness.pageUrl)),
  )) as [Page, Page];
  const pages = [sender, receiver];
  const cdp = await Promise.all(browsers.map((browser) => browser.newBrowserCDPSession()));
  const { signalUrl } = harness;

  console.log(`Chromium ${browsers[0]!.version()}, ${size / MiB} MiB per run, ${rounds} rounds`);
  console.log(
    `machine: ${readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length} cores, load ${loadavg()}`,
  );
  console.log(WHAT_EACH_VARIANT_DOES);
  console.log('Sealing the test file (not timed)…');
  const bytes = await sender.evaluate((size) => window.p2pHarness.stage(size), size);

  const rates: Record<'bare' | 'Coffre', number[]> = { bare: [], Coffre: [] };
  const runBare = async () => {
    const roomId = randomBytes(32).toString('base64url');
    const o = { signalUrl, roomId, size: bytes };
    const sent = sender.evaluate((o) => window.p2pHarness.bareSend(o), o);
    const got = await receiver.evaluate((o) => window.p2pHarness.bareReceive(o), o);
    await sent;
    return got;
  };
  const runCoffre = async () => {
    const code = await sender.evaluate(() => window.p2pHarness.newCode());
    const sent = sender.evaluate((o) => window.p2pHarness.benchSend(o), { signalUrl, code, size });
    const got = await receiver.evaluate((o) => window.p2pHarness.receive(o), {
      signalUrl,
      code,
      count: true,
    });
    const sentResult = await sent;
    if (!got.ok || !sentResult.ok)
      throw new Error(`transfer failed: ${got.message ?? sentResult.message}`);
    if (got.bytes !== size) throw new Error(`received ${got.bytes} bytes of ${size}`);
    return got;
  };

  console.log('');
  for (let round = 1; round <= rounds; round += 1) {
    // Each round swaps which variant goes first, so neither always runs on the other's leftovers
    // (garbage to collect, a machine just made busy or idle).
    const order = round % 2 === 1 ? (['bare', 'Coffre'] as const) : (['Coffre', 'bare'] as const);
    for (const variant of order) {
      const load = loadavg();
      const before = await Promise.all(cdp.map(cpuSample));
      if (values.wire)
        await Promise.all(pages.map((p) => p.evaluate(() => window.p2pHarness.watchWire())));
      const ticksBefore = machineTicks();
      const result = await withTimeout(
        variant === 'bare' ? runBare() : runCoffre(),
        `${variant} run ${round}`,
      );
      const ticksAfter = machineTicks();
      const after = await Promise.all(cdp.map(cpuSample));
      const rate = bytes / 1e6 / result.seconds;
      rates[variant].push(rate);
      const busy =
        (ticksAfter.busy - ticksBefore.busy) / (ticksAfter.total - ticksBefore.total || 1);
      const cpu = ['sender', 'receiver'].map((who, i) => {
        const { total, byType } = cpuSpent(before[i]!.byProcess, after[i]!.byProcess);
        const parts = Object.entries(byType)
          .filter(([, s]) => s >= 0.05)
          .map(([type, s]) => `${type} ${s.toFixed(1)}`)
          .join(', ');
        return `${who} ${total.toFixed(1)} s (${parts})`;
      });
      console.log(
        `round ${round} ${variant.padEnd(6)} ${rate.toFixed(2).padStart(6)} MB/s  ` +
          `${result.seconds.toFixed(1).padStart(6)} s  heap ${(result.heapPeak / 1e6).toFixed(0)} MB  ` +
          `load ${load}  machine busy ${(busy * 100).toFixed(0)}%`,
      );
      console.log(`        CPU ${cpu.join('; ')}`);
      for (const [i, who] of ['sender', 'receiver'].entries()) {
        console.log(
          `        ${who} renderer threads: ${topThreads(before[i]!.threads, after[i]!.threads, 6)}`,
        );
      }
      if (values.wire) console.log(`        wire: ${await wireLine(pages)}`);
    }
  }
  if (values.profile) {
    for (const [variant, run] of [
      ['bare', runBare],
      ['Coffre', runCoffre],
    ] as const) {
      console.log(`\nProfiled ${variant} run (not counted), main threads only, self time:`);
      const sessions = await Promise.all(
        [sender, receiver].map((page) => page.context().newCDPSession(page)),
      );
      for (const session of sessions) {
        await session.send('Profiler.enable');
        await session.send('Profiler.setSamplingInterval', { interval: 500 });
        await session.send('Profiler.start');
      }
      const result = await withTimeout(run(), `profiled ${variant} run`);
      console.log(`  ${(bytes / 1e6 / result.seconds).toFixed(2)} MB/s while profiled`);
      for (const [i, session] of sessions.entries()) {
        const { profile } = await session.send('Profiler.stop');
        await session.detach();
        console.log(`  ${i === 0 ? 'sender' : 'receiver'}:`);
        for (const line of topFunctions(profile, 12)) console.log(`    ${line}`);
      }
    }
  }
  const bare = median(rates.bare);
  const ours = median(rates.Coffre);
  console.log('');
  console.log(
    `median bare   ${bare.toFixed(2)} MB/s  (${rates.bare.map((r) => r.toFixed(2)).join(', ')})`,
  );
  console.log(
    `median Coffre ${ours.toFixed(2)} MB/s  (${rates.Coffre.map((r) => r.toFixed(2)).join(', ')})`,
  );
  console.log(`ratio of medians (Coffre / bare): ${(ours / bare).toFixed(3)}  (target ≥ 0.9)`);
  console.log(`load at the end: ${loadavg()}`);
} finally {
  await Promise.all(browsers.map((browser) => browser.close()));
  await harness.close();
}
