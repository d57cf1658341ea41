import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { buildApp } from '../../storage-server/src/app';
import { DEFAULT_CONFIG, type Config } from '../../storage-server/src/config';
import { chromiumPath } from './chromium-path';

export interface RunningStorage {
  url: string;
  dataDir: string;
  close(): Promise<void>;
  /**
   * Stops the server as a crash would (open connections cut, requests in flight lost), waits
   * `downtimeMs`, then starts it again on the same port with the same data directory.
   */
}

/** A real storage server on an ephemeral loopback port with a fresh data directory. */
export async function startStorage(overrides: Partial<Config> = {}): Promise<RunningStorage> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'coffre-e2e-'));
  const config: Config = {
    ...DEFAULT_CONFIG,
    dataDir,
    port: 0,
    logLevel: 'warn',
    authRateLimit: { max: 1000, windowMs: 60_000 },
    ...overrides,
  };
  const app = await buildApp(config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    async close() {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
}

/**
 * Chromium with a profile on disk, as a person's browser has: IndexedDB gets the disk's quota
 * (an incognito context keeps it in memory) and survives closing every page.
 */
export function launchPersistentChromium(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    acceptDownloads: true,
  });
}
