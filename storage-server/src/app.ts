import { mkdir } from 'node:fs/promises';
import fastifyRateLimit from '@fastify/rate-limit';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  addressKey,
  BOUNDED_SERVER_OPTIONS,
  boundConnections,
  logDestination,
  trustHops,
} from '@coffre/server-kit';
import { ApiError } from './api-error';
import { databaseLocation, type Config } from './config';
import { checkDatabase, openDatabase } from './db/database';
import { ChunkDownloads } from './http/chunk-download';
import { registerClientApp } from './http/client-app';
import { installErrorHandling } from './http/errors';
import { Lifecycle } from './http/lifecycle';
import { ServerMetrics } from './http/metrics';
import { installSecurityHeaders } from './http/security';
import { Plans } from './plans';
import { authRoutes } from './routes/auth.routes';
import { installAuthentication } from './routes/authentication';
import { clientConfigRoutes } from './routes/client-config.routes';
import { fileRoutes } from './routes/files.routes';
import { healthRoutes } from './routes/health.routes';
import { linkRoutes } from './routes/links.routes';
import { nodeRoutes } from './routes/nodes.routes';
import { planRoutes } from './routes/plans.routes';
import { uploadRoutes } from './routes/uploads.routes';
import { buildServices } from './services';
import { loadServerSecret } from './services/server-secret';
import { Sweeper } from './services/sweeper';
import { openBlobStore } from './stores/open-blob-store';
import { connectRedis } from './stores/redis';

/** JSON bodies are small: keys, sealed names and ids. Only a commit's chunk list is bigger. */
const JSON_BODY_LIMIT = 64 * 1024;

/** What the process around the app drives: metrics to expose, and draining before shutdown. */
export interface Operations {
  metrics: ServerMetrics;
  lifecycle: Lifecycle;
}

declare module 'fastify' {
  interface FastifyInstance {
    operations: Operations;
  }
}

/**
 * Builds the storage server: opens the database and blob store, cleans up what a crash or expiry
 * left behind, and registers every route. The caller listens; `close()` stops it all.
 */
export async function buildApp(config: Config): Promise<FastifyInstance> {
  // A bad plan catalogue stops the server before it touches anything.
  const plans = new Plans(config.plans);
  await mkdir(config.dataDir, { recursive: true });
  const db = await openDatabase(databaseLocation(config));
  const secret = await loadServerSecret(db, config.dataDir);
  const blobs = await openBlobStore(config);

  const app = Fastify({
    logger: {
      level: config.logLevel,
      ...logDestination(config.logFormat),
      // Tokens, keys and bodies never reach the log; request lines carry only method, URL and ids.
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      serializers: {
        // The path only: a query string never reaches the log, whatever a client put in it.
        req: (request: { method: string; url: string; ip?: string }) => ({
          method: request.method,
          url: request.url.split('?')[0],
          remoteAddress: request.ip,
        }),
      },
    },
    bodyLimit: JSON_BODY_LIMIT,
    requestTimeout: config.requestTimeoutMs,
    http: BOUNDED_SERVER_OPTIONS,
    // The socket's peer and the entries the proxies in front added, nothing further left.
    trustProxy: trustHops(config.trustProxy),
    // Long ids must reach validation (and fail there with 400) instead of missing the route.
    routerOptions: { maxParamLength: 8192 },
  });
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  const connections = boundConnections(app.server, {
    headersTimeoutMs: config.headersTimeoutMs,
    bodyIdleTimeoutMs: config.bodyIdleTimeoutMs,
    maxPendingPerAddress: config.maxPendingPerIp,
    // New connections go unmetered: what a request may cost is its route's bound (rate limits,
    // quotas, body limits), and how many may wait is the cap above.
    maxNewPerAddressPerSecond: null,
    proxyHops: config.trustProxy,
  });
  // First of all hooks, so a refused request costs no body, no lookup and no rate-limit count.
  app.addHook('onRequest', async (request) => {
    if (!connections.admitted(request.raw)) {
      throw new ApiError('rate_limited', 'too many connections waiting from this address');
    }
  });

  const services = buildServices(db, blobs, plans, secret, config);
  const { uploads, quotas, transferMeter } = services;
  const metrics = new ServerMetrics();
  const lifecycle = new Lifecycle(async () => {
    await checkDatabase(db);
    await blobs.check();
  });
  app.decorate('operations', { metrics, lifecycle });
  metrics.install(app);
  const downloads = new ChunkDownloads(blobs, quotas, transferMeter, metrics);

  const sweeper = new Sweeper(uploads, transferMeter, app.log);
  await sweeper.sweep();
  const orphans = await uploads.removeOrphanBlobs();
  if (orphans > 0) app.log.info({ orphans }, 'unreferenced chunk directories removed');
  sweeper.start(config.sweepIntervalMs);
  app.addHook('onClose', async () => {
    await sweeper.stop();
    await db.destroy();
  });

  installSecurityHeaders(app, config.signalUrl);
  const redis = config.redis ? await connectRedis(config.redis.url, app.log) : null;
  if (redis) app.addHook('onClose', async () => redis.disconnect());
  await app.register(fastifyRateLimit, {
    global: false,
    // The key both servers count a client under (IPv6 by its /64).
    keyGenerator: (request) => addressKey(request.ip),
    // With Redis every node counts into the same windows. Should Redis fail, requests pass
    // (logged) rather than the whole service stopping with it.
    ...(redis && config.redis
      ? { redis, nameSpace: `${config.redis.prefix}rate:`, skipOnError: true }
      : {}),
    errorResponseBuilder: (_request, context) =>
      new ApiError('rate_limited', `too many requests; try again in ${context.after}`),
  });

  const notFound = await registerClientApp(app, config.clientDir);
  installErrorHandling(app, notFound);
  installAuthentication(app, services.sessions);

  await app.register(healthRoutes, { lifecycle });
  await app.register(clientConfigRoutes, { signalUrl: config.signalUrl });
  await app.register(authRoutes, { services, rateLimit: config.authRateLimit });
  await app.register(planRoutes, { services });
  await app.register(nodeRoutes, { services });
  await app.register(uploadRoutes, {
    services,
    commitBodyLimit: config.commitBodyLimit,
    metrics,
  });
  await app.register(fileRoutes, { services, downloads });
  await app.register(linkRoutes, { services, downloads, rateLimits: config.linkRateLimits });
  return app;
}
