import { MAX_ROOM_SIZE, MIN_SIGNAL_FRAME_BYTES } from '@coffre/core/protocol';
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
  /** Per client address (IPv6 per /64). */
  maxConnectionsPerIp: number;
  /** For the whole process: bounds its memory whatever the number of addresses. */
  maxConnections: number;
  /** Messages (events, acks, attachments) a socket may send per second before it is dropped. */
  maxEventsPerSecond: number;
  /** Origins allowed to open a socket (the app's origin); empty allows any. */
  allowedOrigins: string[];
  /** Behind the operator's reverse proxy: the client address is X-Forwarded-For's last entry. */
  trustProxy: boolean;
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
  metrics: { port: number; host: string } | null;
}

export const DEFAULT_SIGNAL_CONFIG: SignalConfig = {
  host: '127.0.0.1',
  port: 8081,
  maxMessageBytes: 8 * 1024,
  maxRoomSize: 8,
  maxRoomsPerSocket: 4,
  maxConnectionsPerIp: 64,
  maxConnections: 20_000,
  maxEventsPerSecond: 50,
  allowedOrigins: [],
  trustProxy: false,
  pingIntervalMs: 25_000,
  pingTimeoutMs: 20_000,
  idleTimeoutMs: 60_000,
  shutdownTimeoutMs: 5_000,
  stunUrls: [],
  turn: null,
  redis: null,
  metrics: null,
};

type Env = Record<string, string | undefined>;

function intFrom(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function listFrom(env: Env, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function iceUrlsFrom(env: Env, name: string, schemes: string[]): string[] {
  const urls = listFrom(env, name);
  for (const url of urls) {
    const scheme = url.slice(0, url.indexOf(':'));
    if (!schemes.includes(scheme) || /\s/.test(url)) {
      throw new Error(`${name}: "${url}" is not a ${schemes.join('/')} URL`);
    }
  }
  return urls;
}

function originsFrom(env: Env): string[] {
  return listFrom(env, 'COFFRE_SIGNAL_ORIGINS').map((origin) => {
    const parsed = URL.canParse(origin) ? new URL(origin) : null;
    if (!parsed || parsed.origin !== origin) {
      throw new Error(`COFFRE_SIGNAL_ORIGINS: "${origin}" is not an origin like https://host`);
    }
    return origin;
  });
}

function turnFrom(env: Env): TurnConfig | null {
  const urls = iceUrlsFrom(env, 'COFFRE_TURN_URLS', ['turn', 'turns']);
  const secret = env.COFFRE_TURN_SECRET ?? '';
  if (urls.length === 0 && secret === '') return null;
  if (urls.length === 0) throw new Error('COFFRE_TURN_SECRET is set but COFFRE_TURN_URLS is not');
  if (secret === '') throw new Error('COFFRE_TURN_URLS is set but COFFRE_TURN_SECRET is not');
  // A short shared secret could be guessed from one credential offline.
  if (secret.length < 16) throw new Error('COFFRE_TURN_SECRET must be at least 16 characters');
  const ttlSeconds = intFrom(env, 'COFFRE_TURN_TTL_SECONDS', 12 * 3600, 60, 7 * 24 * 3600);
  return { urls, secret, ttlSeconds };
}

export function loadSignalConfig(env: Env = process.env): SignalConfig {
  const d = DEFAULT_SIGNAL_CONFIG;
  const trust = env.COFFRE_SIGNAL_TRUST_PROXY;
  return {
    host: env.COFFRE_SIGNAL_HOST || d.host,
    port: intFrom(env, 'COFFRE_SIGNAL_PORT', d.port, 0, 65535),
    maxMessageBytes: intFrom(
      env,
      'COFFRE_SIGNAL_MAX_MESSAGE_BYTES',
      d.maxMessageBytes,
      MIN_SIGNAL_FRAME_BYTES,
      64 * 1024,
    ),
    maxRoomSize: intFrom(env, 'COFFRE_SIGNAL_MAX_ROOM_SIZE', d.maxRoomSize, 2, MAX_ROOM_SIZE),
    maxRoomsPerSocket: intFrom(
      env,
      'COFFRE_SIGNAL_MAX_ROOMS_PER_SOCKET',
      d.maxRoomsPerSocket,
      1,
      64,
    ),
    maxConnectionsPerIp: intFrom(
      env,
      'COFFRE_SIGNAL_MAX_CONNECTIONS_PER_IP',
      d.maxConnectionsPerIp,
      1,
      1_000_000,
    ),
    maxConnections: intFrom(env, 'COFFRE_SIGNAL_MAX_CONNECTIONS', d.maxConnections, 1, 1_000_000),
    maxEventsPerSecond: intFrom(
      env,
      'COFFRE_SIGNAL_MAX_EVENTS_PER_SECOND',
      d.maxEventsPerSecond,
      1,
      10_000,
    ),
    allowedOrigins: originsFrom(env),
    trustProxy: trust === '1' || trust === 'true',
    pingIntervalMs: intFrom(env, 'COFFRE_SIGNAL_PING_INTERVAL_MS', d.pingIntervalMs, 1000, 600_000),
    pingTimeoutMs: intFrom(env, 'COFFRE_SIGNAL_PING_TIMEOUT_MS', d.pingTimeoutMs, 1000, 600_000),
    idleTimeoutMs: intFrom(env, 'COFFRE_SIGNAL_IDLE_TIMEOUT_MS', d.idleTimeoutMs, 1000, 86_400_000),
    shutdownTimeoutMs: intFrom(
      env,
      'COFFRE_SIGNAL_SHUTDOWN_TIMEOUT_MS',
      d.shutdownTimeoutMs,
      0,
      600_000,
    ),
    stunUrls: iceUrlsFrom(env, 'COFFRE_STUN_URLS', ['stun', 'stuns']),
    turn: turnFrom(env),
    redis: env.COFFRE_REDIS_URL
      ? { url: env.COFFRE_REDIS_URL, prefix: env.COFFRE_REDIS_PREFIX ?? 'coffre:' }
      : null,
    metrics: env.COFFRE_SIGNAL_METRICS_PORT
      ? {
          port: intFrom(env, 'COFFRE_SIGNAL_METRICS_PORT', 0, 1, 65535),
          host: env.COFFRE_SIGNAL_METRICS_HOST || '127.0.0.1',
        }
      : null,
  };
}
