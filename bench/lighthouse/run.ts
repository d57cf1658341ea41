// bench/lighthouse: Lighthouse scores of the built app as the storage server serves it (its real
// headers, CSP included), on the start page and on the page a damaged share link opens, with the
// mobile defaults (throttled) and the desktop preset. It builds nothing: run `npm run build` first.
// Usage: npm run bench:lighthouse [-- --mobile-only]
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import lighthouse, { desktopConfig, type Config, type Result } from 'lighthouse';
import { startStorageProcess } from '../lib/storage-process';

const CHROME = process.env.CHROME_PATH ?? process.env.COFFRE_CHROMIUM ?? '/usr/bin/chromium';
const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];
const CHROME_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // A headless window counts as hidden: without these Chromium throttles the page and the trace
  // loses its navigation start.
  '--disable-backgrounding-occluded-windows',
  '--disable-renderer-backgrounding',
  '--disable-background-timer-throttling',
];
/** Performance below this is listed with the audits that cost it (other categories always are). */
const TARGET = 90;
/** Misses that are decisions, not defects, printed with their reason. */
const BY_DESIGN: Record<string, string> = {
  'is-crawlable': 'by design: robots.txt keeps share-link pages out of search engines',
};

interface Chrome {
  port: number;
  stop(): Promise<void>;
}

/** A fresh Chromium (empty profile: no service worker, no cache) with a DevTools port. */
async function launchChrome(): Promise<Chrome> {
  const profile = await mkdtemp(path.join(tmpdir(), 'coffre-lighthouse-'));
  const child: ChildProcess = spawn(
    CHROME,
    [...CHROME_FLAGS, '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let seen = '';
    child.stderr!.on('data', (data: Buffer) => {
      seen += data.toString();
      const match = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(seen);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${CHROME} exited (${code}): ${seen}`)));
  });
  return {
    port,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      await rm(profile, { recursive: true, force: true });
    },
  };
}

interface Row {
  page: string;
  preset: string;
  lhr: Result;
}

async function audit(url: string, config: Config | undefined): Promise<Result> {
  const chrome = await launchChrome();
  try {
    const runner = await lighthouse(
      url,
      { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: CATEGORIES },
      config,
    );
    if (!runner) throw new Error(`Lighthouse returned nothing for ${url}`);
    if (runner.lhr.runtimeError) throw new Error(runner.lhr.runtimeError.message);
    return runner.lhr;
  } finally {
    await chrome.stop();
  }
}

const score = (lhr: Result, category: string) => {
  const value = lhr.categories[category]?.score;
  return value === null || value === undefined ? '-' : String(Math.round(value * 100));
};

/** Audits that count towards a category and did not pass, worst first. */
function failing(lhr: Result, category: string): string[] {
  const refs = lhr.categories[category]?.auditRefs ?? [];
  return refs
    .filter((ref) => ref.weight > 0)
    .map((ref) => lhr.audits[ref.id]!)
    .filter((a) => a.score !== null && a.score < 0.9)
    .sort((a, b) => (a.score ?? 0) - (b.score ?? 0))
    .map((a) => {
      const details = [String(Math.round((a.score ?? 0) * 100)), a.displayValue, BY_DESIGN[a.id]];
      return `${a.id} (${details.filter(Boolean).join(', ')})`;
    });
}

function report(rows: Row[]) {
  const header = ['page', 'preset', ...CATEGORIES];
  const cells = rows.map(({ page, preset, lhr }) => [
    page,
    preset,
    ...CATEGORIES.map((c) => score(lhr, c)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (c: string[]) =>
    c.map((s, i) => (i < 2 ? s.padEnd(widths[i]!) : s.padStart(widths[i]!))).join('  ');
  console.log(
    `Lighthouse ${rows[0]?.lhr.lighthouseVersion}, ${rows[0]?.lhr.environment.hostUserAgent}`,
  );
  // Other work on the machine slows the throttled mobile run the most.
  console.log(
    `load average at the end (1/5/15 min): ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(line(header));
  for (const c of cells) console.log(line(c));
  for (const { page, preset, lhr } of rows) {
    for (const category of CATEGORIES) {
      const misses = failing(lhr, category);
      const value = lhr.categories[category]?.score ?? 1;
      if (misses.length > 0 && (value * 100 < TARGET || category !== 'performance')) {
        console.log(`${page} ${preset} ${category}: ${misses.join('; ')}`);
      }
    }
    const metrics = [
      'first-contentful-paint',
      'largest-contentful-paint',
      'total-blocking-time',
      'cumulative-layout-shift',
    ];
    console.log(
      `${page} ${preset} metrics: ` +
        metrics.map((id) => `${id} ${lhr.audits[id]?.displayValue ?? '-'}`).join(', '),
    );
  }
}

async function main() {
  const clientDir = path.resolve('dist/client');
  if (!existsSync(path.join(clientDir, 'index.html'))) {
    throw new Error('dist/client is not built: run `npm run build` first');
  }
  const mobileOnly = process.argv.includes('--mobile-only');
  const server = await startStorageProcess({ COFFRE_CLIENT_DIR: clientDir });
  const rows: Row[] = [];
  try {
    const pages = [
      { page: 'start /', url: `${server.url}/` },
      // A link id that does not exist: the link page loads, asks the server, and says so.
      { page: 'bad link /s/…', url: `${server.url}/s/AAAAAAAAAAAAAAAAAAAAAA` },
    ];
    const presets = [
      { preset: 'mobile', config: undefined },
      ...(mobileOnly ? [] : [{ preset: 'desktop', config: desktopConfig }]),
    ];
    for (const { page, url } of pages) {
      for (const { preset, config } of presets) {
        console.error(`${page} ${preset}…`);
        rows.push({ page, preset, lhr: await audit(url, config) });
      }
    }
  } finally {
    await server.stop();
  }
  report(rows);
}

await main();
