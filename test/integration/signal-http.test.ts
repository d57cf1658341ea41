import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { connect as tcpConnect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { MAX_ICE_URL_LENGTH, MAX_ICE_URLS, MIN_SIGNAL_FRAME_BYTES } from '@coffre/core/format';
import { IceServersResponse, matches } from '@coffre/core/protocol';
import { DEFAULT_SIGNAL_CONFIG, loadSignalConfig } from '../../signal-server/src/config';
import { serveMetrics } from '@coffre/server-kit';
import { client, join, joinAs, newRoomId, sealed, signal, startSignal } from './signal-harness';

const SECRET = 'a-shared-secret-with-coturn-0123456789';
const turn = {
  urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349'],
  secret: SECRET,
  ttlSeconds: 3600,
};
const stunUrls = ['stun:turn.example.org:3478'];

async function getIce(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/ice-servers`, { headers });
  return { response, body: (await response.json()) as IceServersResponse };
}

describe('signal server HTTP', () => {
  it('answers liveness and readiness, and 404 for anything else', async () => {
    const { url } = await startSignal();
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get('cache-control')).toBe('no-store');
    expect(await health.json()).toEqual({ ok: true });
    const ready = await fetch(`${url}/ready`);
    expect([ready.status, await ready.json()]).toEqual([200, { ready: true }]);
    for (const [method, path] of [
      ['GET', '/'],
      ['GET', '/rooms'],
      ['POST', '/health'],
      ['DELETE', '/ice-servers'],
    ] as const) {
      const response = await fetch(`${url}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(await response.json()).toEqual({
        error: { code: 'not_found', message: expect.any(String) },
      });
    }
    // No long-polling: the websocket transport is the only one.
    expect((await fetch(`${url}/socket.io/?EIO=4&transport=polling`)).status).toBe(400);
  });

  it('answers /ready with 503 once shutdown has begun', async () => {
    const { url, server } = await startSignal({ shutdownTimeoutMs: 60_000 });
    // A request begun before the shutdown and finished after it, on its own connection.
    const accepted = once(server.http, 'connection') as Promise<[Socket]>;
    const conn = tcpConnect(Number(new URL(url).port), '127.0.0.1');
    const [serverSide] = await accepted;
    let answer = '';
    conn.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    const ended = new Promise<void>((resolve) => conn.once('close', () => resolve()));
    // Once the server has parsed the request line, the connection is busy, not idle.
    const parsed = once(serverSide, 'data');
    conn.write('GET /ready HTTP/1.1\r\n');
    await parsed;
    const closed = server.close();
    conn.end('Host: 127.0.0.1\r\n\r\n');
    await ended;
    expect(answer).toMatch(/^HTTP\/1\.1 503 /);
    expect(answer).toContain('{"ready":false}');
    expect(await closed).toEqual({ forced: false });
  });

  it('hands out the STUN servers and a TURN credential that coturn would check', async () => {
    const { url } = await startSignal({ stunUrls, turn });
    const before = Math.floor(Date.now() / 1000);
    const { response, body } = await getIce(url);
    const after = Math.floor(Date.now() / 1000);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(matches(IceServersResponse, body)).toBe(true);

    const [stun, relay] = body.iceServers;
    expect(stun).toEqual({ urls: stunUrls });
    expect(relay?.urls).toEqual(turn.urls);
    const username = relay!.username!;
    const [expiryText, random] = username.split(':');
    const expiry = Number(expiryText);
    // The credential expires one TTL from now: never a long-lived password.
    expect(expiry).toBeGreaterThanOrEqual(before + turn.ttlSeconds);
    expect(expiry).toBeLessThanOrEqual(after + turn.ttlSeconds);
    expect(body.expiresAt).toBe(expiry * 1000);
    expect(random).toMatch(/^[A-Za-z0-9_-]{12}$/);
    // coturn's use-auth-secret check: base64(HMAC-SHA1(static-auth-secret, username)).
    expect(relay!.credential).toBe(createHmac('sha1', SECRET).update(username).digest('base64'));
    expect(relay!.credential).not.toBe(
      createHmac('sha1', 'another secret').update(username).digest('base64'),
    );

    // Each request gets its own username; the secret itself never appears.
    const again = await getIce(url);
    expect(again.body.iceServers[1]?.username).not.toBe(username);
    expect(JSON.stringify(again.body)).not.toContain(SECRET);
  });

  it('hands out STUN alone, or nothing, when that is all that is configured', async () => {
    const stunOnly = await startSignal({ stunUrls });
    expect((await getIce(stunOnly.url)).body).toEqual({
      iceServers: [{ urls: stunUrls }],
      expiresAt: null,
    });
    const none = await startSignal();
    expect((await getIce(none.url)).body).toEqual({ iceServers: [], expiresAt: null });
  });

  it('lets only the allowed origins read its answers from a page', async () => {
    const open = await startSignal({ stunUrls });
    const any = await getIce(open.url, { origin: 'https://anyone.example' });
    expect(any.response.headers.get('access-control-allow-origin')).toBe('*');

    const { url } = await startSignal({ stunUrls, allowedOrigins: ['https://drive.example'] });
    const allowed = await getIce(url, { origin: 'https://drive.example' });
    expect(allowed.response.headers.get('access-control-allow-origin')).toBe(
      'https://drive.example',
    );
    const other = await getIce(url, { origin: 'https://evil.example' });
    expect(other.response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('signal server configuration', () => {
  it('has the documented defaults', () => {
    expect(loadSignalConfig({})).toEqual(DEFAULT_SIGNAL_CONFIG);
  });

  it('reads every setting', () => {
    const config = loadSignalConfig({
      COFFRE_SIGNAL_HOST: '0.0.0.0',
      COFFRE_SIGNAL_PORT: '9000',
      COFFRE_SIGNAL_ORIGINS: 'https://drive.example, https://www.drive.example',
      COFFRE_SIGNAL_TRUST_PROXY: '1',
      COFFRE_SIGNAL_MAX_MESSAGE_BYTES: '16384',
      COFFRE_SIGNAL_MAX_ROOM_SIZE: '2',
      COFFRE_SIGNAL_MAX_ROOMS_PER_SOCKET: '1',
      COFFRE_SIGNAL_MAX_CONNECTIONS_PER_IP: '10',
      COFFRE_SIGNAL_CONNECTIONS_PER_SECOND: '7',
      COFFRE_SIGNAL_MAX_CONNECTIONS: '1000',
      COFFRE_SIGNAL_MAX_EVENTS_PER_SECOND: '5',
      COFFRE_SIGNAL_HEADERS_TIMEOUT_MS: '3000',
      COFFRE_SIGNAL_PING_INTERVAL_MS: '10000',
      COFFRE_SIGNAL_PING_TIMEOUT_MS: '5000',
      COFFRE_SIGNAL_IDLE_TIMEOUT_MS: '30000',
      COFFRE_SIGNAL_SHUTDOWN_TIMEOUT_MS: '2000',
      COFFRE_STUN_URLS: stunUrls.join(','),
      COFFRE_TURN_URLS: turn.urls.join(','),
      COFFRE_TURN_SECRET: SECRET,
      COFFRE_TURN_TTL_SECONDS: '3600',
      COFFRE_REDIS_URL: 'redis://10.0.0.9:6379/2',
      COFFRE_REDIS_PREFIX: 'drive-eu:',
      COFFRE_SIGNAL_METRICS_PORT: '9101',
    });
    expect(config).toEqual({
      host: '0.0.0.0',
      port: 9000,
      allowedOrigins: ['https://drive.example', 'https://www.drive.example'],
      trustProxy: 1,
      maxMessageBytes: 16384,
      maxRoomSize: 2,
      maxRoomsPerSocket: 1,
      maxConnectionsPerIp: 10,
      maxNewConnectionsPerSecond: 7,
      maxConnections: 1000,
      maxEventsPerSecond: 5,
      headersTimeoutMs: 3000,
      pingIntervalMs: 10000,
      pingTimeoutMs: 5000,
      idleTimeoutMs: 30000,
      shutdownTimeoutMs: 2000,
      stunUrls,
      turn,
      redis: { url: 'redis://10.0.0.9:6379/2', prefix: 'drive-eu:' },
      metrics: { port: 9101, host: '127.0.0.1' },
    });
  });

  it('refuses settings that would weaken or break it, naming the variable', () => {
    const refusals: [Record<string, string>, RegExp][] = [
      [
        { COFFRE_SIGNAL_MAX_MESSAGE_BYTES: String(MIN_SIGNAL_FRAME_BYTES - 1) },
        /MAX_MESSAGE_BYTES/,
      ],
      [{ COFFRE_SIGNAL_MAX_MESSAGE_BYTES: '1e6' }, /MAX_MESSAGE_BYTES/],
      [{ COFFRE_SIGNAL_MAX_ROOM_SIZE: '1' }, /MAX_ROOM_SIZE/],
      [{ COFFRE_SIGNAL_MAX_ROOM_SIZE: '65' }, /MAX_ROOM_SIZE/],
      [{ COFFRE_SIGNAL_MAX_EVENTS_PER_SECOND: 'lots' }, /MAX_EVENTS_PER_SECOND/],
      [{ COFFRE_SIGNAL_ORIGINS: 'drive.example' }, /COFFRE_SIGNAL_ORIGINS/],
      [{ COFFRE_SIGNAL_ORIGINS: 'https://drive.example/' }, /COFFRE_SIGNAL_ORIGINS/],
      [{ COFFRE_STUN_URLS: 'https://stun.example' }, /COFFRE_STUN_URLS/],
      [{ COFFRE_STUN_URLS: 'turn:turn.example' }, /COFFRE_STUN_URLS/],
      // What the app would refuse in the ICE server list: the server refuses it at start.
      [{ COFFRE_STUN_URLS: `stun:${'a'.repeat(MAX_ICE_URL_LENGTH - 4)}` }, /COFFRE_STUN_URLS/],
      [{ COFFRE_STUN_URLS: 'stun:' }, /COFFRE_STUN_URLS/],
      [
        {
          COFFRE_STUN_URLS: Array.from({ length: MAX_ICE_URLS + 1 }, (_, i) => `stun:s${i}`).join(),
        },
        /COFFRE_STUN_URLS/,
      ],
      [{ COFFRE_SIGNAL_HEADERS_TIMEOUT_MS: '999' }, /COFFRE_SIGNAL_HEADERS_TIMEOUT_MS/],
      [{ COFFRE_SIGNAL_CONNECTIONS_PER_SECOND: '0' }, /COFFRE_SIGNAL_CONNECTIONS_PER_SECOND/],
      [{ COFFRE_SIGNAL_HEADERS_TIMEOUT_MS: '60001' }, /COFFRE_SIGNAL_HEADERS_TIMEOUT_MS/],
      [{ COFFRE_TURN_URLS: 'turn:turn.example' }, /COFFRE_TURN_SECRET is not/],
      [{ COFFRE_TURN_SECRET: SECRET }, /COFFRE_TURN_URLS/],
      [{ COFFRE_TURN_URLS: 'turn:turn.example', COFFRE_TURN_SECRET: 'short' }, /at least 16/],
      [
        {
          COFFRE_TURN_URLS: 'turn:t.example',
          COFFRE_TURN_SECRET: SECRET,
          COFFRE_TURN_TTL_SECONDS: '0',
        },
        /COFFRE_TURN_TTL_SECONDS/,
      ],
    ];
    for (const [env, message] of refusals) {
      expect(() => loadSignalConfig(env), JSON.stringify(env)).toThrow(message);
    }
  });

  it('takes ICE URLs up to the length and count the app accepts', () => {
    const longest = `stun:${'a'.repeat(MAX_ICE_URL_LENGTH - 5)}`;
    expect(loadSignalConfig({ COFFRE_STUN_URLS: longest }).stunUrls).toEqual([longest]);
    const most = Array.from({ length: MAX_ICE_URLS }, (_, i) => `stun:s${i}`);
    expect(loadSignalConfig({ COFFRE_STUN_URLS: most.join() }).stunUrls).toEqual(most);
  });
});

describe('signal server metrics', () => {
  it('counts sockets, rooms, relayed signals and refusals, on a listener of its own', async () => {
    const { server, url } = await startSignal();
    const scrapes = await serveMetrics(server.metrics, 0, '127.0.0.1');
    const { port } = scrapes.address() as { port: number };
    const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    try {
      const [alice, bob] = await Promise.all([client(url), client(url)]);
      const roomId = newRoomId();
      await joinAs(alice, roomId);
      const bobId = await joinAs(bob, roomId);
      expect(await signal(alice, { roomId, to: bobId, data: sealed() })).toEqual({ ok: true });
      expect(await join(alice, 'not a room id')).toMatchObject({ ok: false, error: 'bad_request' });
      const text = await scrape();
      expect(text).toMatch(/^coffre_signal_sockets 2$/m);
      expect(text).toMatch(/^coffre_signal_rooms 1$/m);
      expect(text).toMatch(/^coffre_signal_relayed_total 1$/m);
      expect(text).toMatch(/^coffre_signal_refusals_total\{code="bad_request"\} 1$/m);
      // Counts only: no room or peer id is ever a label.
      expect(text).not.toContain(roomId);
      expect(text).not.toContain(bobId);
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
    } finally {
      scrapes.close();
    }
  });
});
