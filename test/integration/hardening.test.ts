import { Agent, get as httpGet } from 'node:http';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check, ErrorBody as ErrorSchema, type ErrorBody } from '@coffre/core/protocol';
import {
  call,
  fakeChunks,
  randomB64,
  sealedKey,
  sealedMeta,
  sha256,
  signUp,
  startServer,
  TEST_BLOB_STORE,
  TEST_DATABASE,
  uploadRequest,
  type TestAccount,
  type TestServer,
} from './harness';
import { closedAtOnce, holdConnection, slowRequest } from './slow-clients';

let server: TestServer;
let alice: TestAccount;

beforeAll(async () => {
  server = await startServer();
  alice = await signUp(server);
});
afterAll(async () => {
  await server.close();
});

/** A GET sent byte for byte as written, without the URL normalisation fetch does. */
function rawGet(pathName: string, token: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: pathName, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('hostile ids', () => {
  const badIds = [
    '..%2F..%2Fetc%2Fpasswd',
    '%2e%2e%2f',
    'abc%00def',
    '%00',
    'A'.repeat(4096),
    'AAAAAAAAAAAAAAAAAAAAA%2F',
    'AAAAAAAAAAAAAAAAAAAAAA%20',
    'AAAAAAAAAAAAAAAAAAAA%2e%2e',
  ];

  it('answers 400 for every id position, before any lookup or file access', async () => {
    const routes = (id: string): [string, string][] => [
      ['GET', `/api/v1/nodes/${id}`],
      ['GET', `/api/v1/nodes/${id}/children`],
      ['DELETE', `/api/v1/nodes/${id}`],
      ['POST', `/api/v1/nodes/${id}/restore`],
      ['GET', `/api/v1/uploads/${id}`],
      ['DELETE', `/api/v1/uploads/${id}`],
      ['GET', `/api/v1/files/${id}`],
      ['GET', `/api/v1/files/${id}/chunks/0`],
    ];
    for (const id of badIds) {
      for (const [method, pathName] of routes(id)) {
        const reply = await call<ErrorBody>(server, method, pathName, { token: alice.token });
        expect(reply.status, `${method} ${pathName.slice(0, 80)}`).toBe(400);
        check(ErrorSchema, reply.body);
        expect(reply.body.error.code).toBe('bad_request');
      }
    }
    const chunk = await call(server, 'PUT', `/api/v1/uploads/${badIds[0]}/chunks/0`, {
      token: alice.token,
      headers: { 'content-type': 'application/octet-stream', 'coffre-chunk-sha256': randomB64(32) },
      body: 'x',
    });
    expect(chunk.status).toBe(400);
    const badIndex = await call(server, 'GET', `/api/v1/files/${alice.rootId}/chunks/..%2F0`, {
      token: alice.token,
    });
    expect(badIndex.status).toBe(400);
  });

  it('refuses bad ids inside bodies too', async () => {
    for (const id of ['../../etc/passwd', '\u0000'.repeat(22), 'A'.repeat(4096)]) {
      const reply = await call(server, 'POST', '/api/v1/folders', {
        token: alice.token,
        json: { id, parentId: alice.rootId, wrappedKey: sealedKey(), encMeta: sealedMeta() },
      });
      expect(reply.status).toBe(400);
    }
  });

  it('does not resolve dot segments sent raw into anything outside the API', async () => {
    for (const pathName of [
      '/api/v1/nodes/../../../etc/passwd',
      '/api/v1/files/..%2f..%2f..%2fetc%2fpasswd/chunks/0',
      '/../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
    ]) {
      const reply = await rawGet(pathName, alice.token);
      // Outside /api the app page may answer; nothing else does.
      if (reply.status === 200) expect(reply.body).toContain('npm run build');
      else expect([400, 404]).toContain(reply.status);
      expect(reply.body).not.toContain('root:');
    }
  });

  it('writes nothing outside the data dir', async () => {
    const parent = path.dirname(server.dataDir);
    const before = (await readdir(parent)).filter((n) => !n.startsWith('coffre-it-')).sort();
    await call(server, 'GET', `/api/v1/nodes/${encodeURIComponent('../../x')}`, {
      token: alice.token,
    });
    const after = (await readdir(parent)).filter((n) => !n.startsWith('coffre-it-')).sort();
    expect(after).toEqual(before);
    expect((await readdir(server.dataDir)).sort()).toEqual(
      [
        // Chunks live in the bucket when the store is S3; temp files stay local either way.
        ...(TEST_BLOB_STORE === 'disk' ? ['blobs'] : []),
        ...(TEST_DATABASE === 'sqlite'
          ? ['coffre.sqlite', 'coffre.sqlite-shm', 'coffre.sqlite-wal']
          : []),
        'tmp',
      ].sort(),
    );
  });
});

describe('envelopes for every kind of error', () => {
  it('answers unknown API routes and methods with a 404 envelope', async () => {
    for (const [method, pathName] of [
      ['GET', '/api/v1/nope'],
      ['POST', '/api/v1/nodes'],
      ['GET', '/api/v2/health'],
      ['GET', '/api'],
      ['PUT', '/api/v1/health'],
      ['DELETE', '/some/page'],
    ] as const) {
      const reply = await call<ErrorBody>(server, method, pathName, { token: alice.token });
      expect(reply.status).toBe(404);
      expect(reply.body).toEqual({ error: { code: 'not_found', message: 'no such route' } });
    }
  });

  it('answers broken and oversized JSON without leaking internals', async () => {
    const broken = await call<ErrorBody>(server, 'POST', '/api/v1/auth/login', {
      headers: { 'content-type': 'application/json' },
      body: '{"email": ',
    });
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('bad_request');
    expect(JSON.stringify(broken.body)).not.toMatch(/at .*\.(js|ts):\d+/);

    const huge = await call<ErrorBody>(server, 'POST', '/api/v1/auth/prelogin', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'a@b.c', pad: 'x'.repeat(70 * 1024) }),
    });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');

    const form = await call<ErrorBody>(server, 'POST', '/api/v1/auth/login', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=a@b.c',
    });
    expect(form.status).toBe(415);
    expect(form.body.error.code).toBe('unsupported_media_type');

    const proto = await call<ErrorBody>(server, 'POST', '/api/v1/auth/prelogin', {
      headers: { 'content-type': 'application/json' },
      body: '{"email":"a@b.c","__proto__":{"admin":true}}',
    });
    expect(proto.status).toBe(400);
  });

  it('still answers health after everything above', async () => {
    const reply = await call(server, 'GET', '/api/v1/health');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ ok: true });
  });
});

describe('the web app', () => {
  let clientDir: string;
  let app: TestServer;

  beforeAll(async () => {
    clientDir = await mkdtemp(path.join(tmpdir(), 'coffre-client-'));
    await mkdir(path.join(clientDir, 'assets'));
    await writeFile(path.join(clientDir, 'index.html'), '<!doctype html><title>Coffre app</title>');
    await writeFile(path.join(clientDir, 'sw.js'), 'self.addEventListener("fetch", () => {});');
    await writeFile(path.join(clientDir, 'assets', 'index-abc123.js'), 'console.log(1);');
    app = await startServer({ clientDir, signalUrl: 'https://signal.example.org:8443' });
  });
  afterAll(async () => {
    await app.close();
    await rm(clientDir, { recursive: true, force: true });
  });

  it('serves index.html with the security headers and no caching', async () => {
    const response = await fetch(`${app.url}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Coffre app');
    const h = response.headers;
    expect(h.get('cache-control')).toBe('no-cache');
    const csp = h.get('content-security-policy') ?? '';
    for (const directive of [
      "default-src 'self'",
      "script-src 'self' 'wasm-unsafe-eval'",
      "style-src 'self'",
      "img-src 'self' data: blob:",
      "worker-src 'self' blob:",
      "connect-src 'self' https://signal.example.org:8443 wss://signal.example.org:8443",
      "frame-ancestors 'none'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
    ]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toContain('unsafe-inline');
    expect(h.get('strict-transport-security')).toContain('max-age=31536000');
    expect(h.get('referrer-policy')).toBe('no-referrer');
    expect(h.get('x-content-type-options')).toBe('nosniff');
    expect(h.get('x-frame-options')).toBe('DENY');
  });

  it('falls back to index.html for app paths, but not for API or asset paths', async () => {
    for (const pathName of ['/s/abcdef', '/drive/folder', '/settings']) {
      const response = await fetch(`${app.url}${pathName}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(await response.text()).toContain('Coffre app');
    }
    const missingAsset = await fetch(`${app.url}/assets/missing.js`);
    expect(missingAsset.status).toBe(404);
    await missingAsset.arrayBuffer();
    const api = await call<ErrorBody>(app, 'GET', '/api/v1/whatever');
    expect(api.status).toBe(404);
    expect(api.body.error.code).toBe('not_found');
  });

  it('caches hashed assets for a year and revalidates the service worker', async () => {
    const asset = await fetch(`${app.url}/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    await asset.arrayBuffer();
    const sw = await fetch(`${app.url}/sw.js`);
    expect(sw.status).toBe(200);
    expect(sw.headers.get('cache-control')).toBe('no-cache');
    await sw.arrayBuffer();
  });

  it('tells the app where the signal server is', async () => {
    const answer = await call<{ signalUrl: string | null }>(app, 'GET', '/api/v1/config');
    expect(answer).toMatchObject({
      status: 200,
      body: { signalUrl: 'https://signal.example.org:8443' },
    });
    const none = await call<{ signalUrl: string | null }>(server, 'GET', '/api/v1/config');
    expect(none.body).toEqual({ signalUrl: null });
  });

  it('says how to build the app when there is no build', async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('npm run build');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
  });
});

describe('a signal server on the same host as the page (`:port`)', () => {
  let app: TestServer;
  beforeAll(async () => {
    app = await startServer({ signalUrl: ':8081' });
  });
  afterAll(() => app.close());

  it('is told to the app as given, and allowed in the CSP for the host the page was asked for', async () => {
    const answer = await call<{ signalUrl: string | null }>(app, 'GET', '/api/v1/config');
    expect(answer.body).toEqual({ signalUrl: ':8081' });
    const { port } = new URL(app.url);
    // fetch() may not set Host, so plain http does.
    const connectSrc = (host: string) =>
      new Promise<string | undefined>((resolve, reject) => {
        const request = httpGet(`${app.url}/api/v1/health`, { headers: { host } }, (response) => {
          response.resume();
          const csp = String(response.headers['content-security-policy'] ?? '');
          resolve(csp.split(';').find((directive) => directive.startsWith('connect-src')));
        });
        request.on('error', reject);
      });
    expect(await connectSrc(`127.0.0.1:${port}`)).toBe(
      "connect-src 'self' http://127.0.0.1:8081 ws://127.0.0.1:8081",
    );
    expect(await connectSrc(`laptop.local:${port}`)).toBe(
      "connect-src 'self' http://laptop.local:8081 ws://laptop.local:8081",
    );
    // A Host header that is not a plain host name adds nothing to the policy.
    expect(await connectSrc('evil.example;script-src *')).toBe("connect-src 'self'");
  });
});

describe('connections that keep the server waiting', () => {
  // Short bounds, so each case takes seconds; the defaults are 5 s, 30 s and 64 (protocol.md §1).
  const HEAD_MS = 1000;
  const IDLE_MS = 1000;
  /** A bound, and how late Node's once-a-second check or the idle timer may notice it, with slack. */
  const LATEST_MS = 1000 + 1000 + 500;
  let slow: TestServer;
  let bob: TestAccount;
  let port: number;

  beforeAll(async () => {
    slow = await startServer({
      headersTimeoutMs: HEAD_MS,
      bodyIdleTimeoutMs: IDLE_MS,
      maxPendingPerIp: 8,
    });
    bob = await signUp(slow);
    port = Number(new URL(slow.url).port);
  });
  afterAll(() => slow.close());

  const login = (pieces: Buffer[], extra: Record<string, string> = {}) =>
    slowRequest({
      method: 'POST',
      url: `${slow.url}/api/v1/auth/login`,
      headers: { 'content-type': 'application/json', 'content-length': '100', ...extra },
      pieces,
      gapMs: 50,
      stall: true,
    });

  it('drops a connection that sends nothing, or half a request head, within the head bound', async () => {
    const held = await Promise.all([
      holdConnection(port),
      holdConnection(port, 'GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n'),
    ]);
    for (const connection of held) {
      const after = await connection.closedAfter;
      expect(after).toBeGreaterThan(HEAD_MS - 100);
      expect(after).toBeLessThan(LATEST_MS);
    }
  });

  it('counts connections waiting for an answer against the per-address cap, not answered ones', async () => {
    // Eight keep-alive connections, each answered and left open: they wait for nothing.
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const answered = await Promise.all(
      Array.from(
        { length: 8 },
        () =>
          new Promise<number>((resolve, reject) =>
            httpGet(`${slow.url}/api/v1/health`, { agent }, (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            }).on('error', reject),
          ),
      ),
    );
    expect(answered).toEqual(Array(8).fill(200));
    expect(await closedAtOnce(port)).toBe(false);
    agent.destroy();

    // Eight that never send a request hold the address's places: the next is closed at once.
    const idle = await Promise.all(Array.from({ length: 8 }, () => holdConnection(port)));
    expect(await closedAtOnce(port)).toBe(true);
    const elsewhere = await slowRequest({
      method: 'GET',
      url: `${slow.url}/api/v1/health`,
      headers: {},
      pieces: [],
      gapMs: 0,
      localAddress: '127.0.0.2',
    });
    expect(elsewhere.status).toBe(200);
    await Promise.all(idle.map((connection) => connection.closedAfter));
    expect((await call(slow, 'GET', '/api/v1/health')).status).toBe(200);
  });

  it('drops a request whose body goes silent after the idle bound, having stored nothing', async () => {
    const stalled = await login([Buffer.from('{"email":"')]);
    expect(stalled.status).toBe('reset');
    expect(stalled.ms).toBeGreaterThan(IDLE_MS - 100);
    expect(stalled.ms).toBeLessThan(LATEST_MS);

    const [chunk] = fakeChunks(256 * 1024);
    const opened = await call<{ uploadId: string }>(slow, 'POST', '/api/v1/uploads', {
      token: bob.token,
      json: uploadRequest(bob.rootId, chunk!.length),
    });
    const chunkUrl = `${slow.url}/api/v1/uploads/${opened.body.uploadId}/chunks/0`;
    const headers = {
      authorization: `Bearer ${bob.token}`,
      'content-type': 'application/octet-stream',
      'content-length': String(chunk!.length),
      'coffre-chunk-sha256': sha256(chunk!),
    };
    const half = await slowRequest({
      method: 'PUT',
      url: chunkUrl,
      headers,
      pieces: [chunk!.subarray(0, chunk!.length / 2)],
      gapMs: 50,
      stall: true,
    });
    expect(half.status).toBe('reset');
    expect(half.ms).toBeLessThan(LATEST_MS);
    const status = await call<{ received: number[] }>(
      slow,
      'GET',
      `/api/v1/uploads/${opened.body.uploadId}`,
      { token: bob.token },
    );
    expect(status.body.received).toEqual([]);
  });

  it('takes a chunk whose body keeps moving, however long the whole takes', async () => {
    const [chunk] = fakeChunks(256 * 1024);
    const opened = await call<{ uploadId: string }>(slow, 'POST', '/api/v1/uploads', {
      token: bob.token,
      json: uploadRequest(bob.rootId, chunk!.length),
    });
    // Sixteen pieces, each a little under the idle bound after the last: four times the bound.
    const pieces = Array.from({ length: 16 }, (_, i) =>
      chunk!.subarray((i * chunk!.length) / 16, ((i + 1) * chunk!.length) / 16),
    );
    const moving = await slowRequest({
      method: 'PUT',
      url: `${slow.url}/api/v1/uploads/${opened.body.uploadId}/chunks/0`,
      headers: {
        authorization: `Bearer ${bob.token}`,
        'content-type': 'application/octet-stream',
        'content-length': String(chunk!.length),
        'coffre-chunk-sha256': sha256(chunk!),
      },
      pieces,
      gapMs: IDLE_MS / 4,
    });
    expect(moving.status).toBe(201);
    expect(moving.ms).toBeGreaterThan(4 * IDLE_MS - 100);
  });

  it('behind a proxy, counts requests by the address it reports and refuses the one over with 429', async () => {
    const proxied = await startServer({
      headersTimeoutMs: HEAD_MS,
      bodyIdleTimeoutMs: IDLE_MS,
      maxPendingPerIp: 2,
      trustProxy: 1,
    });
    try {
      const from = (address: string) => ({ 'x-forwarded-for': address });
      const stalledLogin = () =>
        slowRequest({
          method: 'POST',
          url: `${proxied.url}/api/v1/auth/login`,
          headers: {
            'content-type': 'application/json',
            'content-length': '100',
            ...from('198.51.100.1'),
          },
          pieces: [Buffer.from('{')],
          gapMs: 50,
          stall: true,
        });
      const stalled = [stalledLogin(), stalledLogin()];
      await new Promise((resolve) => setTimeout(resolve, 200));
      const over = await call<ErrorBody>(proxied, 'GET', '/api/v1/health', {
        headers: from('198.51.100.1'),
      });
      expect(over.status).toBe(429);
      expect(over.body.error.code).toBe('rate_limited');
      const other = await call(proxied, 'GET', '/api/v1/health', { headers: from('198.51.100.2') });
      expect(other.status).toBe(200);
      expect((await Promise.all(stalled)).map((r) => r.status)).toEqual(['reset', 'reset']);
      const again = await call(proxied, 'GET', '/api/v1/health', { headers: from('198.51.100.1') });
      expect(again.status).toBe(200);
    } finally {
      await proxied.close();
    }
  });
});
