import type { AddressInfo } from 'node:net';
import pino from 'pino';
import {
  announceListening,
  EnvReader,
  logDestination,
  logSettings,
  serveMetrics,
  stopOnSignals,
} from '@coffre/server-kit';
import { loadSignalConfig } from './config';
import { createSignalServer } from './server';

/**
 * The server's own close ends what is left at its shutdown timeout; this long after that, for
 * Redis and the engine to let go, the process exits anyway.
 */
const RELEASE_MS = 5_000;

const { level, format } = logSettings(new EnvReader(process.env));
const log = pino({ name: 'coffre-signal', level, ...logDestination(format) });
const config = loadSignalConfig();
const server = createSignalServer(config, log);
const scrapes = config.metrics
  ? await serveMetrics(server.metrics, config.metrics.port, config.metrics.host)
  : null;

stopOnSignals({
  log,
  // Draining begins inside close: it refuses new sockets and tells every socket at once.
  drainDelayMs: 0,
  open: () => ({ sockets: server.io.engine.clientsCount }),
  close: async () => {
    scrapes?.close();
    const { forced } = await server.close();
    if (forced)
      log.warn({ timeoutMs: config.shutdownTimeoutMs }, 'closed connections left at deadline');
  },
  closeTimeoutMs: config.shutdownTimeoutMs + RELEASE_MS,
});

server.http.listen(config.port, config.host, () => {
  const { port } = server.http.address() as AddressInfo;
  log.info(
    {
      host: config.host,
      port,
      origins: config.allowedOrigins.length > 0 ? config.allowedOrigins : 'any',
      stun: config.stunUrls.length,
      turn: config.turn ? config.turn.urls.length : 0,
      rooms: config.redis ? 'shared through redis' : 'this process',
    },
    'signal server listening',
  );
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  announceListening('signal', `http://${host}:${port}`);
});
