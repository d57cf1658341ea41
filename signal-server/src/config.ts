import {
  DEFAULT_ROOM_SIZE,
  DEFAULT_ROOMS_PER_SOCKET,
  MAX_ICE_URL_LENGTH,
  MAX_ICE_URLS,
  MAX_ROOM_SIZE,
  MIN_SIGNAL_FRAME_BYTES,
} from '@coffre/core/format';
import { IceUrl, matches } from '@coffre/core/protocol';
import {
  EnvReader,
  HEADERS_TIMEOUT_MS,
  invalidSetting,
  NEW_PER_ADDRESS_PER_SECOND,
  metricsListener,
  PORT,
  proxyHops,
  redisSettings,
  type Env,
  type MetricsListener,
} from '@coffre/server-kit';
import type { RedisConfig } from './shared-rooms';

/** TURN with coturn's shared-secret scheme: credentials are minted per request, never stored. */
export interface TurnConfig {
  urls: string[];
  /** coturn's `static-auth-secret`. */
  secret: string;
  /** How long a minted credential works. */
  ttlSeconds: number;
}

// Configuration from the environment, with the embedded defaults `npm start` uses.
export interface SignalConfig {
  host: string;
  port: number;
  /** Largest Socket.IO message accepted, in bytes: signals are small, anything bigger is abuse. */
  maxMessageBytes: number;
  maxRoomSize: number;
  maxRoomsPerSocket: number;
  /**
   * Per client address (IPv6 per /64): sockets, and connections not yet answered or upgraded.
   */
  maxConnectionsPerIp: number;
  /**
   * New connections per client address per second, with ten seconds' worth at once: each
   * connection's cost is bounded, this bounds how many an address makes.
   */
  maxNewConnectionsPerSecond: number;
  /** For the whole process: bounds its memory whatever the number of addresses. */
  maxConnections: number;
  /**
   * Packets a connection may send per second before it is cut off: every Engine.IO packet, so
   * events, acks, attachments, namespace requests, pongs and noops alike.
   */
  maxEventsPerSecond: number;
  /** Origins allowed to open a socket (the app's origin); empty allows any. */
  allowedOrigins: string[];
  /** Reverse proxies in front: the client address is that many X-Forwarded-For entries from the right. */
  trustProxy: number;
  /** A connection's HTTP request (the upgrade, or a GET) must be whole this long after it began. */
  headersTimeoutMs: number;
  pingIntervalMs: number;
  pingTimeoutMs: number;
  /** A socket that stays in no room this long is disconnected. */
  idleTimeoutMs: number;
  /** Longest a graceful shutdown waits for connections to close before closing them. */
  shutdownTimeoutMs: number;
  stunUrls: string[];
  turn: TurnConfig | null;
  /** Rooms shared with the other signal server processes through Redis; null: this one only. */
  redis: RedisConfig | null;
  /** Where Prometheus scrapes `/metrics`; null: not served. */
  metrics: MetricsListener | null;
}

export const DEFAULT_SIGNAL_CONFIG: SignalConfig = {
  host: '127.0.0.1',
  port: 8081,
  maxMessageBytes: 8 * 1024,
  maxRoomSize: DEFAULT_ROOM_SIZE,
  maxRoomsPerSocket: DEFAULT_ROOMS_PER_SOCKET,
  maxConnectionsPerIp: 64,
  maxNewConnectionsPerSecond: 2,
  maxConnections: 20_000,
  maxEventsPerSecond: 50,
  allowedOrigins: [],
  trustProxy: 0,
  headersTimeoutMs: 5_000,
  pingIntervalMs: 25_000,
  pingTimeoutMs: 20_000,
  idleTimeoutMs: 60_000,
  shutdownTimeoutMs: 5_000,
  stunUrls: [],
  turn: null,
  redis: null,
  metrics: null,
};

/** Checked with the schema the app checks the list with, so the app never refuses what it gets. */
function iceUrlsFrom(read: EnvReader, name: string, schemes: string[]): string[] {
  const urls = read.list(name);
  const expected = `a list of at most ${MAX_ICE_URLS} ${schemes.join('/')} URLs of at most ${MAX_ICE_URL_LENGTH} characters`;
  if (urls.length > MAX_ICE_URLS) throw invalidSetting(name, expected, read.text(name, ''));
  for (const url of urls) {
    const scheme = url.slice(0, url.indexOf(':'));
    if (!schemes.includes(scheme) || !matches(IceUrl, url)) {
      throw invalidSetting(name, expected, url);
    }
  }
  return urls;
}

function originsFrom(read: EnvReader): string[] {
  return read.list('COFFRE_SIGNAL_ORIGINS').map((origin) => {
    const parsed = URL.canParse(origin) ? new URL(origin) : null;
    if (!parsed || parsed.origin !== origin) {
      throw invalidSetting('COFFRE_SIGNAL_ORIGINS', 'a list of origins like https://host', origin);
    }
    return origin;
  });
}

function turnFrom(read: EnvReader): TurnConfig | null {
  const urls = iceUrlsFrom(read, 'COFFRE_TURN_URLS', ['turn', 'turns']);
  const secret = read.text('COFFRE_TURN_SECRET', '');
  if (urls.length === 0 && secret === '') return null;
  if (urls.length === 0) throw new Error('COFFRE_TURN_SECRET is set but COFFRE_TURN_URLS is not');
  if (secret === '') throw new Error('COFFRE_TURN_URLS is set but COFFRE_TURN_SECRET is not');
  // A short shared secret could be guessed from one credential offline.
  if (secret.length < 16) throw new Error('COFFRE_TURN_SECRET must be at least 16 characters');
  const ttlSeconds = read.integer('COFFRE_TURN_TTL_SECONDS', 12 * 3600, {
    min: 60,
    max: 7 * 24 * 3600,
  });
  return { urls, secret, ttlSeconds };
}

export function loadSignalConfig(env: Env = process.env): SignalConfig {
  const d = DEFAULT_SIGNAL_CONFIG;
  const read = new EnvReader(env);
  const int = (name: string, fallback: number, min: number, max: number) =>
    read.integer(name, fallback, { min, max });
  return {
    host: read.text('COFFRE_SIGNAL_HOST', d.host),
    port: read.integer('COFFRE_SIGNAL_PORT', d.port, PORT),
    maxMessageBytes: int(
      'COFFRE_SIGNAL_MAX_MESSAGE_BYTES',
      d.maxMessageBytes,
      MIN_SIGNAL_FRAME_BYTES,
      64 * 1024,
    ),
    maxRoomSize: int('COFFRE_SIGNAL_MAX_ROOM_SIZE', d.maxRoomSize, 2, MAX_ROOM_SIZE),
    maxRoomsPerSocket: int('COFFRE_SIGNAL_MAX_ROOMS_PER_SOCKET', d.maxRoomsPerSocket, 1, 64),
    maxConnectionsPerIp: int(
      'COFFRE_SIGNAL_MAX_CONNECTIONS_PER_IP',
      d.maxConnectionsPerIp,
      1,
      1_000_000,
    ),
    maxNewConnectionsPerSecond: read.integer(
      'COFFRE_SIGNAL_CONNECTIONS_PER_SECOND',
      d.maxNewConnectionsPerSecond,
      NEW_PER_ADDRESS_PER_SECOND,
    ),
    maxConnections: int('COFFRE_SIGNAL_MAX_CONNECTIONS', d.maxConnections, 1, 1_000_000),
    maxEventsPerSecond: int('COFFRE_SIGNAL_MAX_EVENTS_PER_SECOND', d.maxEventsPerSecond, 1, 10_000),
    allowedOrigins: originsFrom(read),
    trustProxy: proxyHops(read, 'COFFRE_SIGNAL_TRUST_PROXY'),
    headersTimeoutMs: read.integer(
      'COFFRE_SIGNAL_HEADERS_TIMEOUT_MS',
      d.headersTimeoutMs,
      HEADERS_TIMEOUT_MS,
    ),
    pingIntervalMs: int('COFFRE_SIGNAL_PING_INTERVAL_MS', d.pingIntervalMs, 1000, 600_000),
    pingTimeoutMs: int('COFFRE_SIGNAL_PING_TIMEOUT_MS', d.pingTimeoutMs, 1000, 600_000),
    idleTimeoutMs: int('COFFRE_SIGNAL_IDLE_TIMEOUT_MS', d.idleTimeoutMs, 1000, 86_400_000),
    shutdownTimeoutMs: int('COFFRE_SIGNAL_SHUTDOWN_TIMEOUT_MS', d.shutdownTimeoutMs, 0, 600_000),
    stunUrls: iceUrlsFrom(read, 'COFFRE_STUN_URLS', ['stun', 'stuns']),
    turn: turnFrom(read),
    redis: redisSettings(read),
    metrics: metricsListener(read, 'COFFRE_SIGNAL_METRICS_PORT', 'COFFRE_SIGNAL_METRICS_HOST'),
  };
}
