// Crypto throughput on 4 MiB chunks, in Node and in headless Chromium, same code, same run:
//   npx tsx bench/crypto/run.ts
// The figures and the choice they support are recorded in docs/spec/format.md §10.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { initCrypto } from '@coffre/core/crypto';
import { measureAll, type Result } from './measure';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

async function inNode(): Promise<Result[]> {
  await initCrypto();
  return measureAll((line) => console.log(`  node: ${line}`));
}

async function inChromium(): Promise<{ results: Result[]; version: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'coffre-bench-'));
  const server = createServer((req, res) => {
    const name = req.url === '/' ? 'index.html' : (req.url ?? '').slice(1);
    // Only the files this run wrote, by exact name: nothing else is served.
    if (!/^[\w.-]+\.(html|js)$/.test(name)) return res.writeHead(404).end();
    try {
      const body = readFileSync(join(dir, name));
      const type = name.endsWith('.html') ? 'text/html' : 'text/javascript';
      res.writeHead(200, { 'content-type': type }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  try {
    await build({
      entryPoints: [new URL('./page.ts', import.meta.url).pathname],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outfile: join(dir, 'page.js'),
      logLevel: 'error',
    });
    writeFileSync(
      join(dir, 'index.html'),
      '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>bench</title><script type="module" src="/page.js"></script>',
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      page.on('console', (message) => console.log(`  chromium: ${message.text()}`));
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(() => window.benchResults ?? window.benchError, null, {
        timeout: 300_000,
      });
      const error = await page.evaluate(() => window.benchError);
      if (error) throw new Error(`benchmark page failed: ${error}`);
      const results = (await page.evaluate(() => window.benchResults)) ?? [];
      return { results, version: browser.version() };
    } finally {
      await browser.close();
    }
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function table(node: Result[], browser: Result[], browserVersion: string): string {
  const rows = node.map((r) => {
    const other = browser.find((b) => b.candidate === r.candidate && b.op === r.op);
    return [r.candidate, r.op, r.mbps.toFixed(0), other ? other.mbps.toFixed(0) : 'n/a'];
  });
  const header = [
    'candidate (4 MiB chunk)',
    'op',
    `Node ${process.versions.node}`,
    `Chromium ${browserVersion}`,
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    '| ' +
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ') +
    ' |';
  return [
    line(header),
    '|' +
      widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') +
      '|',
    ...rows.map(line),
  ].join('\n');
}

console.log('Measuring in Node…');
const node = await inNode();
console.log('Measuring in headless Chromium…');
const browser = await inChromium();
console.log(
  '\nMB/s (10^6 bytes of plaintext per second), best of 5 rounds, one thread, same run:\n',
);
console.log(table(node, browser.results, browser.version));
