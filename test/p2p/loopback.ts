// What every WebRTC test and benchmark shares: a check that the process runs in a network
// namespace with nothing but loopback, the harness page built with the client's own modules, a
// loopback server for it and a signal server, and Chromium with the flags that make it gather
// 127.0.0.1 candidates (see the stack notes: a media grant first, then the peer).
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Socket } from 'socket.io';
import { build } from 'vite';
import { loadSignalConfig } from '../../signal-server/src/config';
import { createSignalServer, type SignalServer } from '../../signal-server/src/server';
import { chromiumPath } from '../e2e/chromium-path';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--allow-loopback-in-peer-connection',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
];

/** Refuses to run WebRTC anywhere but a namespace whose only interface is `lo`. */
export function assertLoopbackOnly(): void {
  const names = Object.keys(networkInterfaces());
  if (names.some((name) => name !== 'lo')) {
    throw new Error(
      `WebRTC tests run only in a loopback-only network namespace (found ${names.join(', ')}). ` +
        "Use `npm run test:p2p` or `unshare -n sh -c 'ip link set lo up && …'` as root.",
    );
  }
}

/** The exact alias the app's vite.config.ts needs too: simple-peer's prebundled browser build. */
export const SIMPLE_PEER_ALIAS = [
  { find: /^simple-peer$/, replacement: 'simple-peer/simplepeer.min.js' },
];

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

export interface Harness {
  pageUrl: string;
  signalUrl: string;
  signal: SignalServer;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  assertLoopbackOnly();
  const outDir = await mkdtemp(join(tmpdir(), 'coffre-p2p-'));
  const root = new URL('./harness/', import.meta.url).pathname;
  await build({
    root,
    configFile: false,
    logLevel: 'error',
    resolve: { alias: SIMPLE_PEER_ALIAS },
    worker: { format: 'es' },
    build: { outDir, emptyOutDir: true, target: 'es2022', minify: false },
  });
  const http = createServer((req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]!));
    const file = join(outDir, path === '/' ? 'index.html' : path);
    if (!file.startsWith(outDir)) return res.writeHead(404).end();
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  // The signal server's own defaults, as deployed, on an ephemeral loopback port.
  const signal = createSignalServer({ ...loadSignalConfig(), host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => signal.http.listen(0, '127.0.0.1', resolve));
  return {
    pageUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}/`,
    signalUrl: `http://127.0.0.1:${(signal.http.address() as AddressInfo).port}`,
    signal,
    async close() {
      await signal.close();
      await new Promise((resolve) => http.close(resolve));
      await rm(outDir, { recursive: true, force: true });
    },
  };
}

/** A separate Chromium process per peer, as two devices would be. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
}

export async function openHarnessPage(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await page.goto(url);
  await page.waitForFunction(() => window.p2pHarness !== undefined);
  await page.evaluate(() => window.p2pHarness.prepare());
  return page;
}

/**
 * Makes the relay hold the WebRTC candidates of a room's second member (its signals from the
 * fourth on: pairing share, confirmation and answer come first) until the first member has left
 * the room, then pass them on, in order. The first member leaves as soon as its side connects,
 * so these candidates find nobody and the relay refuses them: what a slow receiver meets when
 * the sender connects first. Returns how many were held, and the undo.
 */
export function holdLateCandidates(signal: SignalServer): {
  held(): number;
  undo(): void;
} {
  const adapter = signal.io.of('/').adapter;
  const alone = (roomId: string) => (adapter.rooms.get(roomId)?.size ?? 0) <= 1;
  let held = 0;
  const waiting: { roomId: string; release: () => void }[] = [];
  const onLeave = (roomId: string) => {
    if (!alone(roomId)) return;
    for (const entry of waiting.filter((e) => e.roomId === roomId)) {
      waiting.splice(waiting.indexOf(entry), 1);
      entry.release();
    }
  };
  const onConnection = (socket: Socket) => {
    let second = false;
    let signals = 0;
    socket.use(([event, payload], next) => {
      const roomId = (payload as { roomId?: unknown } | undefined)?.roomId;
      if (typeof roomId !== 'string') return next();
      if (event === 'join') second = adapter.rooms.has(roomId); // someone is there already
      if (event !== 'signal' || !second || ++signals < 4 || alone(roomId)) return next();
      held += 1;
      waiting.push({ roomId, release: () => next() });
    });
  };
  adapter.on('leave-room', onLeave);
  signal.io.on('connection', onConnection);
  return {
    held: () => held,
    undo() {
      adapter.off('leave-room', onLeave);
      signal.io.off('connection', onConnection);
      waiting.splice(0).forEach((entry) => entry.release());
    },
  };
}
