// Direct transfer throughput: 1 GiB through Coffre's P2P transport (sealed chunks, 16 KiB frames,
// requests, per-chunk acks, every chunk verified) and, in the same run, the same number of bytes
// through a bare RTCDataChannel with the same message size and water marks, between two Chromium
// processes over loopback. Prints both rates and their ratio (the target is at least 0.9).
//   npm run bench:p2p                      (enters a loopback-only network namespace; root)
//   COFFRE_BENCH_P2P_MIB=256 npm run bench:p2p   (a shorter run)
import { randomBytes } from 'node:crypto';
import {
  assertLoopbackOnly,
  launchChromium,
  openHarnessPage,
  startHarness,
} from '../../test/p2p/loopback';

const MiB = 1024 * 1024;
const size = Number(process.env.COFFRE_BENCH_P2P_MIB ?? 1024) * MiB;
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

assertLoopbackOnly();
const harness = await startHarness();
const browsers = await Promise.all([launchChromium(), launchChromium()]);
try {
  const [sender, receiver] = await Promise.all(
    browsers.map((browser) => openHarnessPage(browser, harness.pageUrl)),
  );
  const { signalUrl } = harness;
  console.log(`Chromium ${browsers[0]!.version()}, ${size / MiB} MiB of plaintext, loopback only`);
  console.log('Sealing the test file (not timed)…');
  await sender!.evaluate(({ size }) => window.p2pHarness.warm('bench', size), { size });

  console.log('Coffre transport…');
  const code = await sender!.evaluate(() => window.p2pHarness.newCode());
  const sent = sender!.evaluate((o) => window.p2pHarness.send(o), {
    signalUrl,
    code,
    label: 'bench',
    size,
  });
  const ours = await receiver!.evaluate((o) => window.p2pHarness.receive(o), {
    signalUrl,
    code,
    count: true,
  });
  const sentResult = await sent;
  if (!ours.ok || !sentResult.ok)
    throw new Error(`transfer failed: ${ours.message ?? sentResult.message}`);

  console.log('Bare data channel, same bytes…');
  const roomId = randomBytes(32).toString('base64url');
  const bareSent = sender!.evaluate((o) => window.p2pHarness.bareSend(o), {
    signalUrl,
    roomId,
    size: ours.bytes,
  });
  await new Promise((resolve) => setTimeout(resolve, 500)); // the sender joins first
  const bare = await receiver!.evaluate((o) => window.p2pHarness.bareReceive(o), {
    signalUrl,
    roomId,
    size: ours.bytes,
  });
  await bareSent;

  const oursRate = ours.bytes / 1e6 / ours.seconds;
  const bareRate = bare.bytes / 1e6 / bare.seconds;
  console.log('');
  console.log(
    '| path                 | bytes (MB) | seconds |  MB/s | receiving tab heap peak (MB) |',
  );
  console.log(
    '| -------------------- | ---------: | ------: | ----: | ---------------------------: |',
  );
  const row = (name: string, bytes: number, seconds: number, rate: number, heap: number) =>
    console.log(
      `| ${name.padEnd(20)} | ${mb(bytes).padStart(10)} | ${seconds.toFixed(1).padStart(7)} | ${rate.toFixed(2).padStart(5)} | ${mb(heap).padStart(28)} |`,
    );
  row('Coffre P2P transport', ours.bytes, ours.seconds, oursRate, ours.heapPeak);
  row('bare RTCDataChannel', bare.bytes, bare.seconds, bareRate, bare.heapPeak);
  console.log(`\nratio (Coffre / bare): ${(oursRate / bareRate).toFixed(3)}`);
} finally {
  await Promise.all(browsers.map((browser) => browser.close()));
  await harness.close();
}
