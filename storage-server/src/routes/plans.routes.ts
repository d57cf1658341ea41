import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ROUTES } from '@coffre/core/protocol';
import type { Services } from '../services';
import { SIGNED_IN } from './authentication';

export const planRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const { quotas, space } = services;

  // Public: the plan page can be shown before signing up.
  app.get(ROUTES.plans, async () => quotas.plans.catalog);

  app.get(ROUTES.accountUsage, { config: SIGNED_IN }, async (request) =>
    space.breakdown(request.session.userId),
  );
};
