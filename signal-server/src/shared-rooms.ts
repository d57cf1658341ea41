import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { SignalIo } from './relay';

export interface RedisConfig {
  url: string;
  /** Prefix of every key and channel, so several deployments can share one Redis. */
  prefix: string;
}

export interface SharedRooms {
  /** Whether this process can reach the others right now (readiness). */
  connected(): boolean;
  close(): Promise<void>;
}

/**
 * Rooms shared by every signal server process through Redis pub/sub (@socket.io/redis-adapter):
 * a join, a signal or a peer event reaches members connected to any process. Nothing is stored in
 * Redis; a restarted Redis only loses messages in flight, and both clients reconnect and
 * resubscribe on their own.
 */
export function shareRoomsThroughRedis(
  io: SignalIo,
  redis: RedisConfig,
  log: Pick<Logger, 'warn' | 'info'>,
): SharedRooms {
  // Commands wait for Redis rather than fail: the adapter publishes without handling a
  // rejection, and the relay bounds how long it waits for other processes itself.
  const options = { maxRetriesPerRequest: null, connectTimeout: 2000 };
  const pub = new Redis(redis.url, options);
  const sub = pub.duplicate();
  let reported = false;
  for (const client of [pub, sub]) {
    client.on('error', (error: Error) => {
      if (!reported) log.warn({ err: error }, 'redis unavailable; rooms span this process only');
      reported = true;
    });
  }
  pub.on('ready', () => {
    if (reported) log.info('redis available again');
    reported = false;
  });
  io.adapter(createAdapter(pub, sub, { key: `${redis.prefix}signal`, requestsTimeout: 3000 }));
  return {
    connected: () => pub.status === 'ready' && sub.status === 'ready',
    close: async () => {
      pub.disconnect();
      sub.disconnect();
    },
  };
}
