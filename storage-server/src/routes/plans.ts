import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ROUTES } from '@coffre/core/protocol';
import type { Services } from '../services';

export const planRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const { quotas, sessions, space } = services;

  // Public: the plan page can be shown before signing up.
  app.get(ROUTES.plans, async () => quotas.plans.catalog);

  app.get(ROUTES.accountUsage, async (request) => {
    const session = await sessions.authenticate(request.headers.authorization);
    return space.breakdown(session.userId);
  });
};
