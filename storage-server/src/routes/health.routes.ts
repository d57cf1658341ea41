import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ROUTES } from '@coffre/core/protocol';
import { ApiError } from '../api-error';
import type { Lifecycle } from '../http/lifecycle';

export interface HealthRouteOptions {
  lifecycle: Lifecycle;
}

export const healthRoutes: FastifyPluginAsyncTypebox<HealthRouteOptions> = async (
  app,
  { lifecycle },
) => {
  app.get(ROUTES.health, async () => ({ ok: true as const }));

  app.get(ROUTES.ready, async (request) => {
    if (lifecycle.draining) throw new ApiError('unavailable', 'this node is shutting down');
    try {
      await lifecycle.checkDependencies();
    } catch (error) {
      request.log.warn({ err: error }, 'not ready');
      throw new ApiError('unavailable', 'this node cannot reach its database or blob store');
    }
    return { ok: true as const };
  });
};
