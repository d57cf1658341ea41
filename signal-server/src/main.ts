import pino from 'pino';
import { loadSignalConfig } from './config';
import { createSignalServer } from './server';

const log = pino({ name: 'coffre-signal', level: process.env.COFFRE_LOG_LEVEL ?? 'info' });
const config = loadSignalConfig();
const server = createSignalServer(config);

server.http.listen(config.port, config.host, () => {
  log.info({ host: config.host, port: config.port }, 'signal server listening');
});

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    void server.close().then(() => process.exit(0));
  });
}
