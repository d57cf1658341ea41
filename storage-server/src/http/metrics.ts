import type { FastifyInstance } from 'fastify';
import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '@coffre/server-kit';
import { ApiError } from '../api-error';

/**
 * What an operator watches: requests by route and status, their duration, chunk bytes in and
 * out, and quota refusals. One registry per server, so several servers in one process (tests)
 * never mix their figures. Labels are route patterns, never ids: nothing about who did what.
 */
export class ServerMetrics {
  readonly registry = metricsRegistry('coffre_');
  private readonly requests = new Counter({
    name: 'coffre_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'coffre_http_request_duration_seconds',
    help: 'Time from request to the end of the answer, by route pattern.',
    labelNames: ['route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
    registers: [this.registry],
  });
  private readonly chunkBytesIn = new Counter({
    name: 'coffre_chunk_bytes_in_total',
    help: 'Chunk bytes stored from uploads.',
    registers: [this.registry],
  });
  private readonly chunkBytesOut = new Counter({
    name: 'coffre_chunk_bytes_out_total',
    help: 'Chunk bytes written to downloading connections.',
    registers: [this.registry],
  });
  private readonly quotaRejections = new Counter({
    name: 'coffre_quota_rejections_total',
    help: 'Requests refused by a storage or transfer quota.',
    labelNames: ['quota'] as const,
    registers: [this.registry],
  });

  /** Counts every answer and every quota refusal of `app`. */
  install(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      this.requests.inc({ method: request.method, route, status: reply.statusCode });
      this.duration.observe({ route }, reply.elapsedTime / 1000);
    });
    app.addHook('onError', async (_request, _reply, error) => {
      if (!(error instanceof ApiError)) return;
      if (error.code === 'quota_exceeded') this.quotaRejections.inc({ quota: 'storage' });
      if (error.code === 'transfer_quota_exceeded') this.quotaRejections.inc({ quota: 'transfer' });
    });
  }

  stored(bytes: number): void {
    this.chunkBytesIn.inc(bytes);
  }

  sent(bytes: number): void {
    if (bytes > 0) this.chunkBytesOut.inc(bytes);
  }
}
