import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { loadSignalConfig } from './config';
import { listenForScrapes } from './metrics';
import { createSignalServer } from './server';

const log = pino({ name: 'coffre-signal', level: process.env.COFFRE_LOG_LEVEL ?? 'info' });
const config = loadSignalConfig();
const server = createSignalServer(config, log);
const scrapes = config.metrics
  ? await listenForScrapes(server.metrics, config.metrics.port, config.metrics.host)
  : null;

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
});

// `on`, not `once`: a second signal (Ctrl-C reaches the whole process group, and `npm start`
// passes it on too) must not kill the process mid-shutdown; the deadline bounds the wait.
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, sockets: server.io.engine.clientsCount }, 'shutting down');
    scrapes?.close();
    void server.close().then(({ forced }) => {
      if (forced) {
        log.warn({ deadlineMs: config.shutdownTimeoutMs }, 'closed connections left at deadline');
      }
      log.info('stopped');
      process.exit(0);
    });
  });
}
