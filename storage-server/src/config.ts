import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PlanCatalog } from '@coffre/core/protocol';
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
  redis: { url: string; prefix: string } | null;
  /** The built client (`vite build` output). */
  clientDir: string;
  /**
   * The signal server: an origin, or `:port` on the host each page was loaded from (the embedded
   * default); told to the app and allowed in the CSP's connect-src. Null when not deployed.
   */
  signalUrl: string | null;
  logLevel: string;
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
  /** Longest a single request may take, so long chunk uploads finish but stalled ones end. */
  requestTimeoutMs: number;
  /** Reverse proxies in front: the client IP (for rate limits) is that many X-Forwarded-For entries from the right. */
  trustProxy: number;
  /** Prometheus metrics on their own listener; null: not served. */
  metrics: { port: number; host: string } | null;
  /** On SIGTERM: how long to stay up answering "not ready" before closing, for the balancer. */
  drainDelayMs: number;
  /** On SIGTERM: the longest wait for requests in flight before the process exits anyway. */
  shutdownTimeoutMs: number;
  /** Clock, injectable so expiry can be tested without waiting. */
  now: () => number;
}

const HOUR = 60 * 60 * 1000;

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
  trustProxy: 0,
  metrics: null,
  drainDelayMs: 0,
  shutdownTimeoutMs: 30_000,
  now: Date.now,
};

/** COFFRE_SIGNAL_URL as the app will be told it: `:port`, or an http(s) URL's origin. */
function signalUrlFrom(raw: string | undefined): string | null {
  if (!raw) return null;
  if (/^:\d{1,5}$/.test(raw) && Number(raw.slice(1)) <= 65535) return raw;
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new Error(`COFFRE_SIGNAL_URL must be an http(s) URL or ":port", got "${raw}"`);
  }
  return url.origin;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  }
  return value;
}

function loadLinkRateLimits(env: NodeJS.ProcessEnv, d: LinkRateLimits): LinkRateLimits {
  const windowMs = integer(env, 'COFFRE_LINK_RATE_WINDOW_MS', d.metadata.windowMs);
  return {
    metadata: { max: integer(env, 'COFFRE_LINK_RATE_MAX', d.metadata.max), windowMs },
    content: { max: integer(env, 'COFFRE_LINK_CONTENT_RATE_MAX', d.content.max), windowMs },
    perLink: { max: integer(env, 'COFFRE_LINK_PER_LINK_RATE_MAX', d.perLink.max), windowMs },
  };
}

/**
 * How many reverse proxies stand in front (each appends the address it saw to X-Forwarded-For).
 * Only that many entries from the right are believed: the ones to their left are whatever the
 * client wrote, so trusting them would let anyone choose the address its rate limit counts.
 */
function proxyHops(raw: string | undefined): number {
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return 0;
  if (raw === 'true') return 1;
  const hops = Number(raw);
  if (!Number.isSafeInteger(hops) || hops < 0 || hops > 10) {
    throw new Error(
      `COFFRE_TRUST_PROXY must be the number of proxies in front (0-10), got "${raw}"`,
    );
  }
  return hops;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  return env[name] === '1' || env[name] === 'true';
}

function loadBlobStore(env: NodeJS.ProcessEnv): BlobStoreConfig {
  const kind = env.COFFRE_BLOB_STORE || 'disk';
  if (kind === 'disk') return { kind };
  if (kind !== 's3') throw new Error(`COFFRE_BLOB_STORE must be "disk" or "s3", got "${kind}"`);
  const bucket = env.COFFRE_S3_BUCKET;
  if (!bucket) throw new Error('COFFRE_BLOB_STORE=s3 needs COFFRE_S3_BUCKET');
  const accessKeyId = env.COFFRE_S3_ACCESS_KEY_ID;
  const secretAccessKey = env.COFFRE_S3_SECRET_ACCESS_KEY;
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    throw new Error('set both COFFRE_S3_ACCESS_KEY_ID and COFFRE_S3_SECRET_ACCESS_KEY, or neither');
  }
  return {
    kind,
    s3: {
      endpoint: env.COFFRE_S3_ENDPOINT || null,
      region: env.COFFRE_S3_REGION || 'us-east-1',
      bucket,
      prefix: env.COFFRE_S3_PREFIX ?? '',
      forcePathStyle: flag(env, 'COFFRE_S3_FORCE_PATH_STYLE'),
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
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const d = DEFAULT_CONFIG;
  return {
    ...d,
    port: integer(env, 'COFFRE_PORT', d.port),
    host: env.COFFRE_HOST || d.host,
    dataDir: path.resolve(env.COFFRE_DATA_DIR || d.dataDir),
    blobStore: loadBlobStore(env),
    databaseUrl: env.DATABASE_URL || null,
    databasePoolSize: integer(env, 'COFFRE_DB_POOL_SIZE', d.databasePoolSize),
    redis: env.COFFRE_REDIS_URL
      ? { url: env.COFFRE_REDIS_URL, prefix: env.COFFRE_REDIS_PREFIX ?? 'coffre:' }
      : null,
    clientDir: path.resolve(env.COFFRE_CLIENT_DIR || d.clientDir),
    signalUrl: signalUrlFrom(env.COFFRE_SIGNAL_URL),
    logLevel: env.COFFRE_LOG_LEVEL || d.logLevel,
    authRateLimit: {
      max: integer(env, 'COFFRE_AUTH_RATE_MAX', d.authRateLimit.max),
      windowMs: integer(env, 'COFFRE_AUTH_RATE_WINDOW_MS', d.authRateLimit.windowMs),
    },
    linkRateLimits: loadLinkRateLimits(env, d.linkRateLimits),
    downloadGrantTtlMs: integer(env, 'COFFRE_DOWNLOAD_GRANT_TTL_MS', d.downloadGrantTtlMs),
    plans: readPlansFile(path.resolve(env.COFFRE_PLANS_FILE || 'config/plans.json')),
    uploadTtlMs: integer(env, 'COFFRE_UPLOAD_TTL_MS', d.uploadTtlMs),
    sweepIntervalMs: integer(env, 'COFFRE_SWEEP_INTERVAL_MS', d.sweepIntervalMs),
    sessionTtlMs: integer(env, 'COFFRE_SESSION_TTL_MS', d.sessionTtlMs),
    commitBodyLimit: integer(env, 'COFFRE_COMMIT_BODY_LIMIT', d.commitBodyLimit),
    requestTimeoutMs: integer(env, 'COFFRE_REQUEST_TIMEOUT_MS', d.requestTimeoutMs),
    trustProxy: proxyHops(env.COFFRE_TRUST_PROXY),
    metrics: env.COFFRE_METRICS_PORT
      ? {
          port: integer(env, 'COFFRE_METRICS_PORT', 0),
          host: env.COFFRE_METRICS_HOST || '127.0.0.1',
        }
      : null,
    drainDelayMs: integer(env, 'COFFRE_DRAIN_DELAY_MS', d.drainDelayMs),
    shutdownTimeoutMs: integer(env, 'COFFRE_SHUTDOWN_TIMEOUT_MS', d.shutdownTimeoutMs),
  };
}
