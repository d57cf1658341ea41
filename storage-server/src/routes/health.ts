import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ROUTES } from '../../../core/protocol';

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(ROUTES.health, async () => ({ ok: true as const }));
};
