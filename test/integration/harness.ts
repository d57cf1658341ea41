import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { CHUNK_OVERHEAD } from '@coffre/core/format';
import type {
  CreateUploadRequest,
  PlanCatalog,
  SessionResponse,
  SignupRequest,
} from '@coffre/core/protocol';
import { buildApp } from '../../storage-server/src/app';
import { DEFAULT_CONFIG, type Config } from '../../storage-server/src/config';
import { createTestDatabase } from './postgres-databases';
import { currentS3Emulator } from './s3-emulator';

// The server never decrypts, so random bytes of the right sizes stand in for every sealed blob.

export const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
export const randomB64 = (length: number) => b64(randomBytes(length));
export const newId = () => randomB64(16);
export const sealedKey = () => randomB64(CHUNK_OVERHEAD + 32);
export const sealedMeta = () => randomB64(CHUNK_OVERHEAD + 60);
export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('base64url');

/** A clock the test moves by hand. */
export class TestClock {
  time = Date.UTC(2026, 10, 27, 12);
  readonly now = () => this.time;
  advance(ms: number) {
    this.time += ms;
  }
}

/** A catalogue of small plans for tests: `tiny` (the default) with these quotas, and `big`. */
export function testPlans(quotas: { storage?: number; transfer?: number }): PlanCatalog {
  return {
    default: 'tiny',
    plans: [
      {
        id: 'tiny',
        name: 'Tiny',
        storageQuota: quotas.storage ?? 1e9,
        transferQuota: quotas.transfer ?? 1e9,
      },
      { id: 'big', name: 'Big', storageQuota: 1e12, transferQuota: 1e12 },
    ],
  };
}

/**
 * The stores the suite runs against: the embedded SQLite file and disk, or (the
 * `integration-scale` project) a fresh PostgreSQL database per server and the test file's local
 * S3-compatible server (stores-setup.ts).
 */
export const TEST_BLOB_STORE = process.env.COFFRE_TEST_BLOB_STORE === 's3' ? 's3' : 'disk';
/** The local Redis the `integration-scale` suite shares rate limits through. */
export const TEST_REDIS_URL = process.env.COFFRE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEST_DATABASE =
  process.env.COFFRE_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

/** The parts of a config that say where a server's data lives, to start another on the same. */
export function storesOf(server: TestServer): Partial<Config> {
  const { dataDir, blobStore, databaseUrl, redis } = server.config;
  return { dataDir, blobStore, databaseUrl, redis };
}

export interface TestServer {
  app: FastifyInstance;
  url: string;
  dataDir: string;
  clock: TestClock;
  config: Config;
  /** Every chunk the blob store holds, as `<contentId>/<index>-<chunkId>`. */
  storedChunks(): Promise<string[]>;
  close(): Promise<void>;
}

/** A real server on an ephemeral loopback port with a fresh data dir. */
export async function startServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const dataDir = overrides.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'coffre-it-')));
  const clock = new TestClock();
  const config: Config = {
    ...DEFAULT_CONFIG,
    dataDir,
    blobStore:
      TEST_BLOB_STORE === 's3'
        ? { kind: 's3', s3: currentS3Emulator().settings() }
        : { kind: 'disk' },
    databaseUrl: TEST_DATABASE === 'postgres' ? await createTestDatabase() : null,
    // A key prefix per server: servers share Redis only when a test gives them the same stores.
    redis:
      TEST_DATABASE === 'postgres'
        ? { url: TEST_REDIS_URL, prefix: `coffre-it-${randomBytes(6).toString('hex')}:` }
        : null,
    clientDir: path.join(dataDir, 'no-client'),
    logLevel: 'silent',
    authRateLimit: { max: 1000, windowMs: 60_000 },
    linkRateLimits: {
      metadata: { max: 10_000, windowMs: 60_000 },
      content: { max: 10_000, windowMs: 60_000 },
      perLink: { max: 10_000, windowMs: 60_000 },
    },
    now: clock.now,
    ...overrides,
  };
  const app = await buildApp(config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    dataDir,
    clock,
    config,
    storedChunks: () =>
      config.blobStore.kind === 's3'
        ? currentS3Emulator().storedChunks(config.blobStore.s3.prefix)
        : diskChunks(path.join(dataDir, 'blobs')),
    async close() {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The disk store's chunks: `blobs/<fan-out>/<contentId>/<index>-<chunkId>`. */
async function diskChunks(blobsDir: string): Promise<string[]> {
  return (await filesUnder(blobsDir)).map((file) => file.split(path.sep).slice(1).join('/'));
}

/** Where requests go: a test server, or a server process a test started itself. */
export type Endpoint = Pick<TestServer, 'url'>;

export interface Reply<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** JSON request helper: returns status, headers and parsed body (or text when not JSON). */
export async function call<T = unknown>(
  server: Endpoint,
  method: string,
  pathName: string,
  options: {
    token?: string;
    json?: unknown;
    headers?: Record<string, string>;
    body?: BodyInit;
  } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body = options.body;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  const response = await fetch(`${server.url}${pathName}`, { method, headers, body });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.startsWith('application/json');
  return {
    status: response.status,
    headers: response.headers,
    body: (isJson && text ? JSON.parse(text) : text) as T,
  };
}

export function kdf(salt = randomB64(16)) {
  return { alg: 'argon2id13' as const, salt, opslimit: 3, memlimit: 64 * 1024 * 1024 };
}

export interface TestAccount {
  email: string;
  userId: string;
  rootId: string;
  authKey: string;
  recoveryAuthKey: string;
  token: string;
  signup: SignupRequest;
}

export function signupRequest(email = `${randomB64(6)}@example.org`): SignupRequest {
  return {
    email,
    userId: newId(),
    kdf: kdf(),
    authKey: randomB64(32),
    recoveryAuthKey: randomB64(32),
    bundle: {
      wrappedMasterKey: sealedKey(),
      wrappedMasterKeyRecovery: sealedKey(),
      signPublicKey: randomB64(32),
      boxPublicKey: randomB64(32),
      wrappedSignSecretKey: randomB64(CHUNK_OVERHEAD + 64),
      wrappedBoxSecretKey: sealedKey(),
      rootId: newId(),
      wrappedRootKey: sealedKey(),
    },
  };
}

/** Signs up, then logs in as the app does: sign-up answers alike whether it made the account. */
export async function signUp(server: Endpoint, email?: string): Promise<TestAccount> {
  const request = signupRequest(email);
  const signup = await call(server, 'POST', '/api/v1/auth/signup', { json: request });
  if (signup.status !== 202) throw new Error(`signup failed: ${JSON.stringify(signup.body)}`);
  const reply = await call<SessionResponse>(server, 'POST', '/api/v1/auth/login', {
    json: { email: request.email, authKey: request.authKey },
  });
  if (reply.status !== 200) throw new Error(`no account made: ${JSON.stringify(reply.body)}`);
  return {
    email: request.email.trim().toLowerCase(),
    userId: request.userId,
    rootId: request.bundle.rootId,
    authKey: request.authKey,
    recoveryAuthKey: request.recoveryAuthKey,
    token: reply.body.token,
    signup: request,
  };
}

export async function createFolder(server: Endpoint, account: TestAccount, parentId: string) {
  const id = newId();
  const reply = await call(server, 'POST', '/api/v1/folders', {
    token: account.token,
    json: { id, parentId, wrappedKey: sealedKey(), encMeta: sealedMeta() },
  });
  if (reply.status !== 201) throw new Error(`folder failed: ${JSON.stringify(reply.body)}`);
  return id;
}

/** Ciphertext chunks of a file of `plainSize` bytes (random bytes, sized as format.md §5 says). */
export function fakeChunks(plainSize: number, chunkSize = 4 * 1024 * 1024): Buffer[] {
  const count = Math.max(1, Math.ceil(plainSize / chunkSize));
  return Array.from({ length: count }, (_, i) =>
    randomBytes(Math.min(chunkSize, plainSize - i * chunkSize) + CHUNK_OVERHEAD),
  );
}

/** A create-upload request for `chunkCount` chunks of `size` bytes in all, with fresh ids and keys. */
export function uploadRequest(
  parentId: string,
  size: number,
  chunkCount = 1,
  nodeId = newId(),
): CreateUploadRequest {
  return {
    nodeId,
    parentId,
    wrappedKey: sealedKey(),
    encMeta: sealedMeta(),
    revision: 1,
    wrappedContentKey: sealedKey(),
    size,
    chunkCount,
  };
}

/** Uploads and commits a file of these chunks; returns its node id. */
export async function uploadFile(
  server: Endpoint,
  account: TestAccount,
  parentId: string,
  chunks: Buffer[],
): Promise<string> {
  const nodeId = newId();
  const opened = await call<{ uploadId: string }>(server, 'POST', '/api/v1/uploads', {
    token: account.token,
    json: uploadRequest(
      parentId,
      chunks.reduce((sum, c) => sum + c.length, 0),
      chunks.length,
      nodeId,
    ),
  });
  if (opened.status !== 201) throw new Error(`upload failed: ${JSON.stringify(opened.body)}`);
  const { uploadId } = opened.body;
  for (const [index, bytes] of chunks.entries()) {
    const put = await call(server, 'PUT', `/api/v1/uploads/${uploadId}/chunks/${index}`, {
      token: account.token,
      headers: { 'content-type': 'application/octet-stream', 'coffre-chunk-sha256': sha256(bytes) },
      body: blobOf(bytes),
    });
    if (put.status !== 201) throw new Error(`chunk failed: ${JSON.stringify(put.body)}`);
  }
  const committed = await call(server, 'POST', `/api/v1/uploads/${uploadId}/commit`, {
    token: account.token,
    json: { manifest: randomB64(200), chunks: chunks.map(sha256) },
  });
  if (committed.status !== 201) throw new Error(`commit failed: ${JSON.stringify(committed.body)}`);
  return nodeId;
}

/** Every file under `dir`, relative, for checking what is on disk. */
export async function filesUnder(dir: string): Promise<string[]> {
  // A plain walk: Node 20's recursive readdir can miss entries in nested directories.
  const { readdir } = await import('node:fs/promises');
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const found: string[] = [];
  for (const entry of entries) {
    if (entry.isFile()) found.push(entry.name);
    if (entry.isDirectory()) {
      for (const inner of await filesUnder(path.join(dir, entry.name))) {
        found.push(path.join(entry.name, inner));
      }
    }
  }
  return found;
}

/** Polls until `probe` returns true or the time is up. */
export async function eventually(probe: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A request body of these bytes (copied into a plain ArrayBuffer, as a Blob wants). */
export const blobOf = (bytes: Uint8Array) => new Blob([new Uint8Array(bytes)]);
