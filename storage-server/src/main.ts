import { setTimeout as sleep } from 'node:timers/promises';
import { buildApp } from './app';
import { loadConfig } from './config';
import { serveMetrics } from './http/metrics';

// CLI entry: `tsx storage-server/src/main.ts`, configured by COFFRE_* environment variables.
const config = loadConfig();
const app = await buildApp(config);
const metricsServer = config.metrics
  ? await serveMetrics(app.operations.metrics, config.metrics.port, config.metrics.host)
  : null;

let closing = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'draining');
    // Readiness turns 503 at once; the balancer stops sending new work during the delay.
    app.operations.lifecycle.draining = true;
    const deadline = setTimeout(() => {
      app.log.error('requests still running at the shutdown deadline; exiting anyway');
      process.exit(1);
    }, config.drainDelayMs + config.shutdownTimeoutMs);
    deadline.unref();
    sleep(config.drainDelayMs)
      .then(() => {
        app.log.info('closing');
        // Stops accepting, lets requests in flight finish, then closes the database.
        return app.close();
      })
      .then(() => metricsServer?.close())
      .then(
        () => {
          app.log.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          app.log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  });
}

await app.listen({ port: config.port, host: config.host });
