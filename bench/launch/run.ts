// bench/launch: launch-day load on one storage-server process. 250,000 sign-ups, two runs of as
// many that make nothing, then a log-in of every one of those accounts, from a load generator on
// the same machine over loopback. Client work (key derivation, wrapping) is precomputed outside
// the timing: the bodies are opaque accounts the server cannot tell from real ones.
//
// A sign-up answers 202 whether or not it made the account, and the app then logs in with the
// keys it derived (protocol.md §3), which is the log-in run here (`--login-only` is that log-in
// alone). Two runs make nothing: every email signed up again with other keys, and as many free
// emails each with the user id of an account. Their figures side by side show a sign-up that
// makes nothing costs the same whether or not its email has an account, and the log-ins after
// them show the accounts unchanged. Only a sign-up that makes the account writes its rows, and
// its maker learns that from the log-in anyway.
//
// The crowd: the server runs as it does behind a reverse proxy (COFFRE_TRUST_PROXY=1) with the
// production rate limits (20 per minute per address and route), and each account comes from its
// own address in X-Forwarded-For, as a proxy would report a crowd of people. Nothing is raised or
// switched off for the bench. After the runs, one address that keeps trying must be refused with
// 429 once past the limit: the limits stop abuse from one address without stopping a crowd.
// Usage: npm run bench:launch [-- accounts [concurrency]] [--login-only]
import { loadavg } from 'node:os';
import { ROUTES } from '@coffre/core/protocol';
import { opaqueSignup } from '../lib/opaque-account';
import { rssOf, samplePeak } from '../lib/processes';
import { startStorageProcess } from '../lib/storage-process';
import { cpuSecondsOf } from './cpu';
import { Connection } from './connection';
import { percentile, runLoad, send, type LoadResult, type LoadStep } from './load';

const numbers = process.argv
  .slice(2)
  .filter((a) => !a.startsWith('--'))
  .map(Number);
const ACCOUNTS = numbers[0] || 250_000;
const CONCURRENCY = numbers[1] || 32;
/** Log-in as the app does it (prelogin for the KDF parameters, then login), or login alone. */
const LOGIN_ONLY = process.argv.includes('--login-only');

const TARGET = { totalMs: 120_000, p99Ms: 100 };
const MiB = 1024 * 1024;
/** Attempts from the one abusive address: past the auth limit of 20 per minute. */
const ABUSE_ATTEMPTS = 30;

/** Account i's client address: 10.0.0.1, 10.0.0.2, … (16 million before they would repeat). */
function addressOf(i: number): string {
  const n = i + 1;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

function prepare() {
  const tag = Date.now().toString(36);
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const signups: LoadStep[][] = [];
  const emailTaken: LoadStep[][] = [];
  const idTaken: LoadStep[][] = [];
  const logins: LoadStep[][] = [];
  const signup = (body: object, from: string) => [
    { path: ROUTES.signup, body: json(body), expect: 202, from },
  ];
  for (let i = 0; i < ACCOUNTS; i++) {
    const email = `launch-${tag}-${i}@example.org`;
    const from = addressOf(i);
    const body = opaqueSignup(email);
    signups.push(signup(body, from));
    emailTaken.push(signup(opaqueSignup(email), from));
    const free = opaqueSignup(`launch-${tag}-free-${i}@example.org`);
    idTaken.push(signup({ ...free, userId: body.userId }, from));
    const authKey = body.authKey;
    const login = { path: ROUTES.login, body: json({ email, authKey }), expect: 200, from };
    const prelogin = { path: ROUTES.prelogin, body: json({ email }), expect: 200, from };
    logins.push(LOGIN_ONLY ? [login] : [prelogin, login]);
  }
  return { signups, emailTaken, idTaken, logins };
}

interface Row {
  name: string;
  result: LoadResult;
  peakRss: number;
  /** CPU seconds the server and the load generator used during the run. */
  serverCpu: number;
  generatorCpu: number;
}

/** Log-in attempts with a wrong key from one address; the statuses it got, counted. */
async function abuseFromOneAddress(url: string): Promise<Map<number, number>> {
  const origin = new URL(url);
  const connection = new Connection(origin.hostname, Number(origin.port), 30_000);
  const { email, authKey } = opaqueSignup('abuser@example.org');
  const body = Buffer.from(JSON.stringify({ email, authKey: authKey.slice(1) + 'A' }));
  const step = { path: ROUTES.login, body, expect: 401, from: '192.0.2.1' };
  const statuses = new Map<number, number>();
  for (let i = 0; i < ABUSE_ATTEMPTS; i++) {
    const outcome = await send(connection, step);
    const status = outcome instanceof Error ? 0 : outcome.status;
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  }
  connection.close();
  return statuses;
}

function report(rows: Row[], abuse: Map<number, number>) {
  const header = ['run', 'accounts', 'wall s', 'per s', 'p50 ms', 'p99 ms', 'max ms', 'errors'];
  header.push('server peak RSS', 'server CPU ms/acct', 'generator CPU ms/acct');
  const cells = rows.map(({ name, result, peakRss, serverCpu, generatorCpu }) => {
    const sorted = Float64Array.from(result.latencies).sort();
    const perAccount = (cpuSeconds: number) => ((cpuSeconds * 1000) / ACCOUNTS).toFixed(2);
    return [
      name,
      String(result.succeeded + result.errors),
      (result.elapsedMs / 1000).toFixed(1),
      ((result.succeeded / result.elapsedMs) * 1000).toFixed(0),
      percentile(sorted, 0.5).toFixed(1),
      percentile(sorted, 0.99).toFixed(1),
      percentile(sorted, 1).toFixed(1),
      String(result.errors),
      `${(peakRss / MiB).toFixed(0)} MiB`,
      perAccount(serverCpu),
      perAccount(generatorCpu),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (c: string[]) => c.map((s, i) => s.padStart(i === 0 ? 0 : widths[i]!)).join('  ');
  console.log(
    `one storage-server process, ${CONCURRENCY} keep-alive connections, loopback; ` +
      `target: ${ACCOUNTS} sign-ups in < ${TARGET.totalMs / 1000} s, p99 < ${TARGET.p99Ms} ms, no errors`,
  );
  // Other work on the machine takes CPU from both processes; the CPU columns do not depend on it.
  console.log(
    `load average at the end (1/5/15 min): ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(line(header.map((h, i) => (i === 0 ? h.padEnd(widths[0]!) : h))));
  for (const c of cells) console.log(line([c[0]!.padEnd(widths[0]!), ...c.slice(1)]));
  for (const { name, result } of rows) {
    for (const sample of result.errorSamples) console.log(`${name} error: ${sample}`);
  }
  const counted = [...abuse].map(([status, n]) => `${n} × ${status}`).join(', ');
  console.log(`one address, ${ABUSE_ATTEMPTS} log-in attempts: ${counted}`);
}

async function main() {
  console.error(`preparing ${ACCOUNTS} accounts…`);
  const { signups, emailTaken, idTaken, logins } = prepare();
  const server = await startStorageProcess({ COFFRE_TRUST_PROXY: '1', COFFRE_LOG_LEVEL: 'warn' });
  const rows: Row[] = [];
  let abuse: Map<number, number>;
  try {
    const phases = [
      { name: 'sign-up', work: signups },
      { name: 'sign-up, email taken', work: emailTaken },
      { name: 'sign-up, email free, id taken', work: idTaken },
      { name: LOGIN_ONLY ? 'log-in (login)' : 'log-in (prelogin+login)', work: logins },
    ];
    for (const { name, work } of phases) {
      console.error(`${name}…`);
      const peak = samplePeak(() => rssOf(server.pid));
      const serverCpuBefore = cpuSecondsOf(server.pid);
      const generatorCpuBefore = process.cpuUsage();
      const result = await runLoad(server.url, ACCOUNTS, CONCURRENCY, (i) => work[i]!);
      const generatorCpu = process.cpuUsage(generatorCpuBefore);
      rows.push({
        name,
        result,
        peakRss: peak.stop(),
        serverCpu: cpuSecondsOf(server.pid) - serverCpuBefore,
        generatorCpu: (generatorCpu.user + generatorCpu.system) / 1e6,
      });
    }
    abuse = await abuseFromOneAddress(server.url);
  } finally {
    await server.stop();
  }
  report(rows, abuse);
  const signup = rows[0]!.result;
  const p99 = percentile(Float64Array.from(signup.latencies).sort(), 0.99);
  const met = signup.errors === 0 && signup.elapsedMs < TARGET.totalMs && p99 < TARGET.p99Ms;
  console.log(`sign-up target ${met ? 'met' : 'missed'}`);
  if (!abuse.get(429)) console.log('the abusive address was never refused: rate limit broken');
}

await main();
