import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PlanCatalog } from '@coffre/core/protocol';
import {
  BODY_IDLE_TIMEOUT_MS,
  EnvReader,
  HEADERS_TIMEOUT_MS,
  invalidSetting,
  logSettings,
  metricsListener,
  NON_NEGATIVE,
  PENDING_PER_ADDRESS,
  PORT,
  proxyHops,
  redisSettings,
  TIMER_MS,
  type Env,
  type LogFormat,
  type MetricsListener,
  type RedisSettings,
} from '@coffre/server-kit';
import { readPlansFile } from './plans';
import type { DatabaseLocation } from './db/database';
import type { S3Settings } from './stores/s3-blob-store';

export interface RateLimit {
  /** Requests per window per IP and route. */
  max: number;
  windowMs: number;
}

/** Limits of the anonymous link routes. */
export interface LinkRateLimits {
  /** Per IP: `GET /links/:linkId`, the first request of a link page. */
  metadata: RateLimit;
  /** Per IP: folder listings, manifests and chunks (1 GiB in 4 MiB chunks is 256 requests). */
  content: RateLimit;
  /** Per link id, whatever the IP: every anonymous route of that link together. */
  perLink: RateLimit;
}

/** Where chunk bodies live: files under the data dir (the default), or an S3-compatible bucket. */
export type BlobStoreConfig = { kind: 'disk' } | { kind: 's3'; s3: S3Settings };

export interface Config {
  port: number;
  host: string;
  /** SQLite file, server secret, blobs and temp files live here. */
  dataDir: string;
  blobStore: BlobStoreConfig;
  /** PostgreSQL instead of the SQLite file in the data dir (`DATABASE_URL`); null: SQLite. */
  databaseUrl: string | null;
  /** Connections per node to PostgreSQL. */
  databasePoolSize: number;
  /** Shared short-lived state (rate-limit counters) for several nodes; null: kept in memory. */
  redis: RedisSettings | null;
  /** The built client (`vite build` output). */
  clientDir: string;
  /**
   * The signal server: an origin, or `:port` on the host each page was loaded from (the embedded
   * default); told to the app and allowed in the CSP's connect-src. Null when not deployed.
   */
  signalUrl: string | null;
  logLevel: string;
  /** JSON lines, or pretty ones for a person at a terminal (`COFFRE_LOG_FORMAT`). */
  logFormat: LogFormat;
  /** Applied to sign-up, login, pre-login and recovery. */
  authRateLimit: RateLimit;
  linkRateLimits: LinkRateLimits;
  /** How long a counted link download may fetch the file's other chunks past the limit. */
  downloadGrantTtlMs: number;
  /** The plans on offer and the default one (`config/plans.json`, checked at start). */
  plans: PlanCatalog;
  /** An upload session left uncommitted this long is removed with its chunks. */
  uploadTtlMs: number;
  /** How often expired uploads are swept. */
  sweepIntervalMs: number;
  /** A session unused this long is dead. */
  sessionTtlMs: number;
  /** Largest commit request (chunk id list + sealed manifest); other JSON bodies stay at 64 KiB. */
  commitBodyLimit: number;
  /** Longest a single request may take, however steadily its body arrives. */
  requestTimeoutMs: number;
  /** A request's head must be complete this long after the connection opens or the request begins. */
  headersTimeoutMs: number;
  /** Longest silence while the server waits for the client: a stalled body ends, a slow one goes on. */
  bodyIdleTimeoutMs: number;
  /** Connections per client address (IPv6 per /64) waiting for an answer at once. */
  maxPendingPerIp: number;
  /** Reverse proxies in front: the client IP (for rate limits) is that many X-Forwarded-For entries from the right. */
  trustProxy: number;
  /** Prometheus metrics on their own listener; null: not served. */
  metrics: MetricsListener | null;
  /** On SIGTERM: how long to stay up answering "not ready" before closing, for the balancer. */
  drainDelayMs: number;
  /** On SIGTERM: the longest wait for requests in flight before the process exits anyway. */
  shutdownTimeoutMs: number;
  /** Clock, injectable so expiry can be tested without waiting. */
  now: () => number;
}

const HOUR = 60 * 60 * 1000;

/** Connections to PostgreSQL per node: at least one, and far below what a server accepts. */
const POOL_SIZE = { min: 1, max: 1000 };

/** The plans shipped with the code: what DEFAULT_CONFIG (tests, embedded use) runs with. */
const REPOSITORY_PLANS_FILE = fileURLToPath(new URL('../../config/plans.json', import.meta.url));

export const DEFAULT_CONFIG: Config = {
  port: 8080,
  host: '127.0.0.1',
  dataDir: path.resolve('data'),
  blobStore: { kind: 'disk' },
  databaseUrl: null,
  databasePoolSize: 10,
  redis: null,
  clientDir: path.resolve('dist/client'),
  signalUrl: null,
  logLevel: 'info',
  logFormat: 'json',
  authRateLimit: { max: 20, windowMs: 60_000 },
  linkRateLimits: {
    metadata: { max: 60, windowMs: 60_000 },
    content: { max: 600, windowMs: 60_000 },
    perLink: { max: 1200, windowMs: 60_000 },
  },
  downloadGrantTtlMs: 24 * HOUR,
  plans: readPlansFile(REPOSITORY_PLANS_FILE),
  uploadTtlMs: 24 * HOUR,
  sweepIntervalMs: 10 * 60_000,
  sessionTtlMs: 30 * 24 * HOUR,
  commitBodyLimit: 16 * 1024 * 1024,
  requestTimeoutMs: 10 * 60_000,
  headersTimeoutMs: 5_000,
  bodyIdleTimeoutMs: 30_000,
  maxPendingPerIp: 64,
  trustProxy: 0,
  metrics: null,
  drainDelayMs: 0,
  shutdownTimeoutMs: 30_000,
  now: Date.now,
};

/** COFFRE_SIGNAL_URL as the app will be told it: `:port`, or an http(s) URL's origin. */
function signalUrlFrom(read: EnvReader): string | null {
  const raw = read.raw('COFFRE_SIGNAL_URL');
  if (raw === undefined) return null;
  if (/^:\d{1,5}$/.test(raw) && Number(raw.slice(1)) <= PORT.max) return raw;
  const url = URL.canParse(raw) ? new URL(raw) : null;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw invalidSetting('COFFRE_SIGNAL_URL', 'an http(s) URL or ":port"', raw);
  }
  return url.origin;
}

function loadLinkRateLimits(read: EnvReader, d: LinkRateLimits): LinkRateLimits {
  const windowMs = read.integer('COFFRE_LINK_RATE_WINDOW_MS', d.metadata.windowMs, NON_NEGATIVE);
  const max = (name: string, fallback: number) => read.integer(name, fallback, NON_NEGATIVE);
  return {
    metadata: { max: max('COFFRE_LINK_RATE_MAX', d.metadata.max), windowMs },
    content: { max: max('COFFRE_LINK_CONTENT_RATE_MAX', d.content.max), windowMs },
    perLink: { max: max('COFFRE_LINK_PER_LINK_RATE_MAX', d.perLink.max), windowMs },
  };
}

function loadBlobStore(read: EnvReader): BlobStoreConfig {
  const kind = read.choice('COFFRE_BLOB_STORE', ['disk', 's3'], 'disk');
  if (kind === 'disk') return { kind };
  const bucket = read.raw('COFFRE_S3_BUCKET');
  if (!bucket) throw new Error('COFFRE_BLOB_STORE=s3 needs COFFRE_S3_BUCKET');
  const accessKeyId = read.raw('COFFRE_S3_ACCESS_KEY_ID');
  const secretAccessKey = read.raw('COFFRE_S3_SECRET_ACCESS_KEY');
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    throw new Error('set both COFFRE_S3_ACCESS_KEY_ID and COFFRE_S3_SECRET_ACCESS_KEY, or neither');
  }
  return {
    kind,
    s3: {
      endpoint: read.raw('COFFRE_S3_ENDPOINT') ?? null,
      region: read.text('COFFRE_S3_REGION', 'us-east-1'),
      bucket,
      prefix: read.verbatim('COFFRE_S3_PREFIX', ''),
      forcePathStyle: read.flag('COFFRE_S3_FORCE_PATH_STYLE'),
      credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : null,
    },
  };
}

/** The database a config names: PostgreSQL when `databaseUrl` is set, else the data dir's SQLite file. */
export function databaseLocation(config: Config): DatabaseLocation {
  return config.databaseUrl
    ? { kind: 'postgres', url: config.databaseUrl, poolSize: config.databasePoolSize }
    : { kind: 'sqlite', file: path.join(config.dataDir, 'coffre.sqlite') };
}

/** Reads the COFFRE_* environment variables over the defaults. */
export function loadConfig(env: Env = process.env): Config {
  const d = DEFAULT_CONFIG;
  const read = new EnvReader(env);
  const count = (name: string, fallback: number) => read.integer(name, fallback, NON_NEGATIVE);
  const timer = (name: string, fallback: number) => read.integer(name, fallback, TIMER_MS);
  const log = logSettings(read);
  return {
    ...d,
    port: read.integer('COFFRE_PORT', d.port, PORT),
    host: read.text('COFFRE_HOST', d.host),
    dataDir: path.resolve(read.text('COFFRE_DATA_DIR', d.dataDir)),
    blobStore: loadBlobStore(read),
    databaseUrl: read.raw('DATABASE_URL') ?? null,
    databasePoolSize: read.integer('COFFRE_DB_POOL_SIZE', d.databasePoolSize, POOL_SIZE),
    redis: redisSettings(read),
    clientDir: path.resolve(read.text('COFFRE_CLIENT_DIR', d.clientDir)),
    signalUrl: signalUrlFrom(read),
    logLevel: log.level,
    logFormat: log.format,
    authRateLimit: {
      max: count('COFFRE_AUTH_RATE_MAX', d.authRateLimit.max),
      windowMs: count('COFFRE_AUTH_RATE_WINDOW_MS', d.authRateLimit.windowMs),
    },
    linkRateLimits: loadLinkRateLimits(read, d.linkRateLimits),
    downloadGrantTtlMs: count('COFFRE_DOWNLOAD_GRANT_TTL_MS', d.downloadGrantTtlMs),
    plans: readPlansFile(path.resolve(read.text('COFFRE_PLANS_FILE', 'config/plans.json'))),
    uploadTtlMs: count('COFFRE_UPLOAD_TTL_MS', d.uploadTtlMs),
    sweepIntervalMs: timer('COFFRE_SWEEP_INTERVAL_MS', d.sweepIntervalMs),
    sessionTtlMs: count('COFFRE_SESSION_TTL_MS', d.sessionTtlMs),
    commitBodyLimit: count('COFFRE_COMMIT_BODY_LIMIT', d.commitBodyLimit),
    requestTimeoutMs: count('COFFRE_REQUEST_TIMEOUT_MS', d.requestTimeoutMs),
    headersTimeoutMs: read.integer(
      'COFFRE_HEADERS_TIMEOUT_MS',
      d.headersTimeoutMs,
      HEADERS_TIMEOUT_MS,
    ),
    bodyIdleTimeoutMs: read.integer(
      'COFFRE_BODY_IDLE_TIMEOUT_MS',
      d.bodyIdleTimeoutMs,
      BODY_IDLE_TIMEOUT_MS,
    ),
    maxPendingPerIp: read.integer(
      'COFFRE_MAX_PENDING_PER_IP',
      d.maxPendingPerIp,
      PENDING_PER_ADDRESS,
    ),
    trustProxy: proxyHops(read, 'COFFRE_TRUST_PROXY'),
    metrics: metricsListener(read, 'COFFRE_METRICS_PORT', 'COFFRE_METRICS_HOST'),
    drainDelayMs: timer('COFFRE_DRAIN_DELAY_MS', d.drainDelayMs),
    shutdownTimeoutMs: timer('COFFRE_SHUTDOWN_TIMEOUT_MS', d.shutdownTimeoutMs),
  };
}
