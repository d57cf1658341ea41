import { createServer, type Server } from 'node:http';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { PORT, type EnvReader } from './env';

/** Where Prometheus scrapes one server. */
export interface MetricsListener {
  port: number;
  host: string;
}

/**
 * A port variable and its host variable (default 127.0.0.1: the operators' network, never the
 * public one); null when the port is unset, and metrics are not served.
 */
export function metricsListener(
  read: EnvReader,
  portName: string,
  hostName: string,
): MetricsListener | null {
  if (read.raw(portName) === undefined) return null;
  return {
    // An ephemeral port would be one no scraper could be told.
    port: read.integer(portName, 0, { min: 1, max: PORT.max }),
    host: read.text(hostName, '127.0.0.1'),
  };
}

/**
 * One server's registry, with the process's own figures (CPU, memory, event-loop lag, file
 * descriptors) under `prefix`. One per server, so several servers in one process (tests) never
 * mix their figures.
 */
export function metricsRegistry(prefix: string): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix });
  return registry;
}

/** `GET /metrics` on a listener of its own, so scraping never shares the public port. */
export async function serveMetrics(
  metrics: { readonly registry: Registry },
  port: number,
  host: string,
): Promise<Server> {
  const { registry } = metrics;
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return server;
}
