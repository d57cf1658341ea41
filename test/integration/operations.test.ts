import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveMetrics } from '@coffre/server-kit';
import {
  call,
  eventually,
  fakeChunks,
  sha256,
  signUp,
  startServer,
  TEST_BLOB_STORE,
  TEST_DATABASE,
  testPlans,
  uploadFile,
  type Endpoint,
  uploadRequest,
  type TestServer,
} from './harness';
import { createTestDatabase } from './postgres-databases';
import { currentS3Emulator, S3Emulator } from './s3-emulator';

// What an operator relies on: metrics that add up, readiness that tells a balancer the truth,
// and a SIGTERM that lets requests in flight finish.

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ plans: testPlans({ storage: 10_000 }) });
});

afterAll(async () => {
  await server.close();
});

/** The value of one sample of the Prometheus text, 0 when absent. */
function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

describe('metrics', () => {
  it('count requests by route, chunk bytes in and out, and quota refusals', async () => {
    const metrics = await serveMetrics(server.app.operations.metrics, 0, '127.0.0.1');
    const address = metrics.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const scrape = async () => (await fetch(`http://127.0.0.1:${address.port}/metrics`)).text();
    try {
      const account = await signUp(server);
      const chunks = fakeChunks(1000);
      const file = await uploadFile(server, account, account.rootId, chunks);
      const got = await fetch(`${server.url}/api/v1/files/${file}/chunks/0`, {
        headers: { authorization: `Bearer ${account.token}` },
      });
      await got.arrayBuffer();
      const refused = await call(server, 'POST', '/api/v1/uploads', {
        token: account.token,
        json: uploadRequest(account.rootId, 20_041, 1),
      });
      expect(refused.status).toBe(507);

      // The bytes-out count lands when the response closes.
      await eventually(async () => sample(await scrape(), 'coffre_chunk_bytes_out_total') > 0);
      const text = await scrape();
      expect(
        sample(
          text,
          'coffre_http_requests_total',
          '{method="POST",route="/api/v1/auth/signup",status="202"}',
        ),
      ).toBe(1);
      expect(sample(text, 'coffre_chunk_bytes_in_total')).toBe(chunks[0]!.length);
      expect(sample(text, 'coffre_chunk_bytes_out_total')).toBe(chunks[0]!.length);
      expect(sample(text, 'coffre_quota_rejections_total', '{quota="storage"}')).toBe(1);
      // Route patterns only: no id of any file, account or upload appears.
      expect(text).not.toContain(file);
      expect(text).not.toContain(account.userId);
      expect((await fetch(`http://127.0.0.1:${address.port}/other`)).status).toBe(404);
    } finally {
      metrics.close();
    }
  });
});

describe('readiness', () => {
  it('is ready while serving and unavailable while draining; liveness stays up', async () => {
    expect((await call(server, 'GET', '/api/v1/ready')).status).toBe(200);
    server.app.operations.lifecycle.draining = true;
    try {
      const ready = await call<{ error: { code: string } }>(server, 'GET', '/api/v1/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.error.code).toBe('unavailable');
      expect((await call(server, 'GET', '/api/v1/health')).status).toBe(200);
    } finally {
      server.app.operations.lifecycle.draining = false;
    }
  });

  it('is unavailable when the blob store cannot be reached', async () => {
    if (TEST_BLOB_STORE === 'disk') {
      const own = await startServer();
      try {
        await rm(path.join(own.dataDir, 'blobs'), { recursive: true });
        expect((await call(own, 'GET', '/api/v1/ready')).status).toBe(503);
      } finally {
        await own.close();
      }
      return;
    }
    // A bucket server of its own, stopped under the running node.
    const emulator = await S3Emulator.start();
    const own = await startServer({ blobStore: { kind: 's3', s3: emulator.settings() } });
    try {
      expect((await call(own, 'GET', '/api/v1/ready')).status).toBe(200);
      await emulator.close();
      expect((await call(own, 'GET', '/api/v1/ready')).status).toBe(503);
    } finally {
      await own.close();
    }
  });
});

/** The suite's stores as the environment variables a server process reads. */
async function storeEnvironment(): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  if (TEST_DATABASE === 'postgres') env.DATABASE_URL = await createTestDatabase();
  if (TEST_BLOB_STORE === 's3') {
    const s3 = currentS3Emulator().settings();
    Object.assign(env, {
      COFFRE_BLOB_STORE: 's3',
      COFFRE_S3_ENDPOINT: s3.endpoint!,
      COFFRE_S3_REGION: s3.region,
      COFFRE_S3_BUCKET: s3.bucket,
      COFFRE_S3_PREFIX: s3.prefix,
      COFFRE_S3_FORCE_PATH_STYLE: '1',
      COFFRE_S3_ACCESS_KEY_ID: s3.credentials!.accessKeyId,
      COFFRE_S3_SECRET_ACCESS_KEY: s3.credentials!.secretAccessKey,
    });
  }
  return env;
}

describe('shutdown', () => {
  let child: ChildProcess;
  let dataDir: string;

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('drains on SIGTERM: not ready at once, then a chunk upload in flight still completes', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'coffre-it-drain-'));
    child = spawn(process.execPath, ['--import', 'tsx', 'storage-server/src/main.ts'], {
      env: {
        ...process.env,
        COFFRE_PORT: '0',
        COFFRE_DATA_DIR: dataDir,
        COFFRE_CLIENT_DIR: path.join(dataDir, 'no-client'),
        COFFRE_LOG_LEVEL: 'info',
        COFFRE_DRAIN_DELAY_MS: '3000',
        COFFRE_SHUTDOWN_TIMEOUT_MS: '30000',
        ...(await storeEnvironment()),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const logLines = createInterface({ input: child.stdout! });
    const messages: string[] = [];
    let listening!: (url: string) => void;
    const url = new Promise<string>((resolve) => (listening = resolve));
    logLines.on('line', (line) => {
      const { msg } = JSON.parse(line) as { msg: string };
      messages.push(msg);
      const address = /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(msg);
      if (address) listening(address[1]!);
    });
    const endpoint: Endpoint = { url: await url };

    const account = await signUp(endpoint);
    const [chunk] = fakeChunks(1_000_000);
    const opened = await call<{ uploadId: string }>(endpoint, 'POST', '/api/v1/uploads', {
      token: account.token,
      json: uploadRequest(account.rootId, chunk!.length, 1),
    });
    // Half the body goes now, the rest only once the server is closing.
    const put = request(`${endpoint.url}/api/v1/uploads/${opened.body.uploadId}/chunks/0`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${account.token}`,
        'content-type': 'application/octet-stream',
        'content-length': String(chunk!.length),
        'coffre-chunk-sha256': sha256(chunk!),
      },
    });
    const status = new Promise<number | 'reset'>((resolve) => {
      put.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      put.on('error', () => resolve('reset'));
    });
    const half = chunk!.length >> 1;
    await new Promise<void>((resolve) => put.write(chunk!.subarray(0, half), () => resolve()));

    child.kill('SIGTERM');
    await eventually(async () => (await call(endpoint, 'GET', '/api/v1/ready')).status === 503);
    await eventually(async () => messages.includes('closing'), 10_000);
    put.end(chunk!.subarray(half));
    expect(await status).toBe(201);
    expect(await exited).toBe(0);
  });
});
