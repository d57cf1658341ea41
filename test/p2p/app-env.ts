// The app as deployed, for direct-transfer tests: a real storage server serving the built client
// and told where a real signal server is, both on loopback, and Chromium processes with the
// WebRTC flags. Only inside a loopback-only network namespace (assertLoopbackOnly).
import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { loadSignalConfig } from '../../signal-server/src/config';
import { createSignalServer, type SignalServer } from '../../signal-server/src/server';
import { DEFAULT_CONFIG } from '../../storage-server/src/config';
import { row, signUp, uploadFiles, waitUploaded } from '../e2e/app-flows';
import { type RunningStorage, startStorage } from '../e2e/harness';
import { assertLoopbackOnly, launchChromium } from './loopback';

export interface AppEnv {
  url: string;
  signalUrl: string;
  signal: SignalServer;
  storage: RunningStorage;
  close(): Promise<void>;
}

export async function startApp(): Promise<AppEnv> {
  assertLoopbackOnly();
  if (!existsSync(path.join(DEFAULT_CONFIG.clientDir, 'index.html'))) {
    throw new Error(
      'These tests drive the built app: run `npx vite build` first (`npm test` does).',
    );
  }
  const signal = createSignalServer({ ...loadSignalConfig(), host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => signal.http.listen(0, '127.0.0.1', resolve));
  const signalUrl = `http://127.0.0.1:${(signal.http.address() as AddressInfo).port}`;
  const storage = await startStorage({ signalUrl });
  return {
    url: storage.url,
    signalUrl,
    signal,
    storage,
    async close() {
      await storage.close();
      await signal.close();
    },
  };
}

/**
 * Makes the signal server alter what it relays, as a compromised one could: from the `from`th
 * relayed signal on (counting from 1), one character of each sealed message is changed. Returns
 * the undo.
 */
export function tamperRelay(env: AppEnv, from: number): () => void {
  const adapter = env.signal.io.of('/').adapter;
  const broadcast = adapter.broadcast.bind(adapter);
  let relayed = 0;
  adapter.broadcast = (packet, options) => {
    const [event, body] = packet.data as [string, { data?: unknown }];
    if (event === 'signal' && typeof body.data === 'string' && ++relayed >= from) {
      const text = body.data;
      const at = text.length - 5; // inside the ciphertext, whatever the message
      const altered = text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
      packet = { ...packet, data: [event, { ...body, data: altered }] };
    }
    broadcast(packet, options);
  };
  return () => {
    adapter.broadcast = broadcast;
  };
}

/**
 * A browser profile for the app. Chromium reports `navigator.onLine` false in a namespace whose
 * only interface is loopback, although both servers answer there; the app would hold uploads
 * "until the network returns", so the pages are told the truth: they are online.
 */
export async function appContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ acceptDownloads: true });
  await context.addInitScript(() =>
    Object.defineProperty(Navigator.prototype, 'onLine', { get: () => true, configurable: true }),
  );
  return context;
}

/** The app, an owner signed up in one Chromium, and a second Chromium for the other devices. */
export interface AppSession {
  readonly env: AppEnv;
  /** The owner's drive page. */
  readonly owner: Page;
  /** A new page in the other browser, a device without an account; its page errors are logged. */
  visitorPage(): Promise<Page>;
  /** A file written for this test file, removed once it ends. */
  bigFile(name: string, size: number): Promise<BigFile>;
  /** A file written as `bigFile` and uploaded to the owner's drive. */
  uploaded(name: string, size: number): Promise<BigFile>;
}

/**
 * Sets up, for the calling test file, what every app test needs: the servers, two Chromium
 * processes and an owner who signed up. Each test starts from the drive with no dialog open.
 */
export function appSession(ownerEmail: string): AppSession {
  let env: AppEnv | undefined;
  let browsers: Browser[] = [];
  let owner: Page | undefined;
  let visitors: BrowserContext | undefined;
  const files: BigFile[] = [];
  const logErrors = (page: Page, who: string) =>
    page.on('pageerror', (error) => console.error(`${who} page error: ${error.message}`));

  beforeAll(async () => {
    env = await startApp();
    browsers = await Promise.all([launchChromium(), launchChromium()]);
    owner = await (await appContext(browsers[0]!)).newPage();
    logErrors(owner, 'owner');
    visitors = await appContext(browsers[1]!);
    await signUp(owner, env.url, ownerEmail);
  }, 300_000);
  // A test that stopped midway may leave its dialog open: the next one starts from the drive.
  afterEach(() => (owner ? closeDialog(owner) : undefined));
  afterAll(async () => {
    await Promise.all(browsers.map((browser) => browser.close()));
    await env?.close();
    await Promise.all(files.map((file) => file.remove()));
  });

  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the app session has not started');
    return value;
  };
  const session: AppSession = {
    get env() {
      return ready(env);
    },
    get owner() {
      return ready(owner);
    },
    async visitorPage() {
      const page = await ready(visitors).newPage();
      logErrors(page, 'visitor');
      return page;
    },
    async bigFile(name, size) {
      const file = await writeBigFile(name, size);
      files.push(file);
      return file;
    },
    async uploaded(name, size) {
      const file = await session.bigFile(name, size);
      await uploadFiles(session.owner, [file.path]);
      await waitUploaded(session.owner, [name]);
      return file;
    },
  };
  return session;
}

/**
 * One request on each named object store of a page's IndexedDB database, in one transaction:
 * what the tests count, read or clear. A database the page never opened reads as empty (opening
 * it here would create it, empty).
 */
export function inPageStores<T>(
  page: Page,
  database: string,
  op: 'count' | 'getAll' | 'clear',
  stores: string[],
): Promise<T[]> {
  return page.evaluate(
    async ({ database, op, stores }) => {
      const known = await indexedDB.databases();
      if (!known.some((d) => d.name === database)) {
        return stores.map(() => (op === 'count' ? 0 : op === 'getAll' ? [] : undefined));
      }
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(database);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      try {
        const tx = db.transaction(stores, op === 'clear' ? 'readwrite' : 'readonly');
        const done = new Promise<void>((resolve, reject) => {
          tx.oncomplete = () => resolve();
          tx.onabort = () => reject(tx.error);
        });
        const requests = stores.map((name) => {
          const store = tx.objectStore(name);
          return op === 'count' ? store.count() : op === 'getAll' ? store.getAll() : store.clear();
        });
        await done;
        return requests.map((request) => request.result as unknown);
      } finally {
        db.close();
      }
    },
    { database, op, stores },
  ) as Promise<T[]>;
}

export interface BigFile {
  path: string;
  sha256: string;
  remove(): Promise<void>;
}

/**
 * A file of random-looking bytes written in pieces, so no test holds it whole in memory. The bytes
 * follow from the name and size: a retried test uploads the same content again, so either copy in
 * the drive is the file it expects.
 */
export async function writeBigFile(name: string, size: number): Promise<BigFile> {
  const dir = await mkdtemp(path.join(tmpdir(), 'coffre-direct-'));
  const file = path.join(dir, name);
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  const PIECE = 8 * 1024 * 1024;
  const key = createHash('sha256').update(`${name}:${size}`).digest();
  const stream = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  for (let written = 0; written < size; written += PIECE) {
    const piece = stream.update(Buffer.alloc(Math.min(PIECE, size - written)));
    hash.update(piece);
    if (!out.write(piece)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  return {
    path: file,
    sha256: hash.digest('hex'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * Opens "Send to a device" on a drive row from the keyboard (the transfers panel may cover the
 * row) and returns the code the dialog shows.
 */
export async function sendFromRow(page: Page, name: string): Promise<string> {
  await row(page, name).first().getByRole('button', { name: 'Send to a device' }).focus();
  await page.keyboard.press('Enter');
  return shownCode(page);
}

/** Closes the page's open dialog, if any, as Escape does. */
export async function closeDialog(page: Page): Promise<void> {
  const dialog = page.getByRole('dialog');
  if ((await dialog.count()) === 0) return;
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
}

export async function shownCode(page: Page): Promise<string> {
  const code = page.getByRole('dialog').getByTestId('pairing-code');
  await code.waitFor({ timeout: 30_000 });
  return (await code.innerText()).trim();
}

/** Chunk indexes the page fetches from the storage server, in order, while it runs. */
export function watchChunkFetches(page: Page): { indexes: number[]; stop(): void } {
  const indexes: number[] = [];
  const listener = (request: { url(): string }) => {
    const match = /\/files\/[^/]+\/chunks\/(\d+)$/.exec(new URL(request.url()).pathname);
    if (match) indexes.push(Number(match[1]));
  };
  page.on('request', listener);
  return { indexes, stop: () => page.off('request', listener) };
}
