import path from 'node:path';
import { announceListening, serveMetrics, stopOnSignals } from '@coffre/server-kit';
import { buildApp } from './app';
import { loadConfig, type Config } from './config';

/** Where this node keeps accounts, metadata and chunks, in a few words. */
function dataPlace(config: Config): string {
  const metadata = config.databaseUrl ? 'PostgreSQL' : path.join(config.dataDir, 'coffre.sqlite');
  if (config.blobStore.kind === 's3')
    return `${metadata} and S3 bucket ${config.blobStore.s3.bucket}`;
  return config.databaseUrl ? `${metadata} and ${config.dataDir}` : config.dataDir;
}

// CLI entry: `tsx storage-server/src/main.ts`, configured by COFFRE_* environment variables.
const config = loadConfig();
const app = await buildApp(config);
const metricsServer = config.metrics
  ? await serveMetrics(app.operations.metrics, config.metrics.port, config.metrics.host)
  : null;

stopOnSignals({
  log: app.log,
  // Readiness turns 503 at once; the balancer stops sending new work during the delay.
  drain: () => (app.operations.lifecycle.draining = true),
  drainDelayMs: config.drainDelayMs,
  // Stops accepting, lets requests in flight finish, then closes the database.
  close: async () => {
    await app.close();
    metricsServer?.close();
  },
  closeTimeoutMs: config.shutdownTimeoutMs,
});

const url = await app.listen({ port: config.port, host: config.host });
announceListening('storage', url, dataPlace(config));
