import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';

/**
 * The connection for state every node must share. Connected before the node serves, so its first
 * requests are counted too; commands fail fast while Redis is away (no offline queue), and the
 * client keeps reconnecting on its own.
 */
export async function connectRedis(url: string, log: FastifyBaseLogger): Promise<Redis> {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    lazyConnect: true,
  });
  let reported = false;
  redis.on('error', (error: Error) => {
    if (!reported) log.warn({ err: error }, 'redis unavailable; rate limits are not enforced');
    reported = true;
  });
  redis.on('ready', () => {
    if (reported) log.info('redis available again');
    reported = false;
  });
  // A Redis that is down at start must not keep the node down: it serves, and says so above.
  await redis.connect().catch(() => {});
  return redis;
}
