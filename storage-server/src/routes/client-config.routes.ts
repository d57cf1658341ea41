import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ClientConfig, ROUTES } from '@coffre/core/protocol';

export interface ClientConfigRouteOptions {
  signalUrl: string | null;
}

/** What the app needs to know about this deployment (protocol.md §2.1): where signaling is. */
export const clientConfigRoutes: FastifyPluginAsyncTypebox<ClientConfigRouteOptions> = async (
  app,
  { signalUrl },
) => {
  const body: ClientConfig = { signalUrl };
  app.get(ROUTES.config, { schema: { response: { 200: ClientConfig } } }, async () => body);
};
