import type { FastifyInstance } from 'fastify';
import type { Session, Sessions } from '../services/sessions.service';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Only a signed-in request reaches the handler; see SIGNED_IN. */
    signedIn?: boolean;
  }
  interface FastifyRequest {
    /** The caller's session, on the routes declared SIGNED_IN (unset on every other). */
    session: Session;
  }
}

/** The route config of every route that needs an account: `{ config: SIGNED_IN, ... }`. */
export const SIGNED_IN = { signedIn: true } as const;

/**
 * Authenticates each request to a SIGNED_IN route once, before its handler, and answers 401
 * without a live session. A preHandler, so it runs after validation: a malformed request is
 * refused with 400 whether it is signed in or not.
 */
export function installAuthentication(app: FastifyInstance, sessions: Sessions): void {
  app.decorateRequest('session');
  app.addHook('preHandler', async (request) => {
    if (request.routeOptions.config.signedIn) {
      request.session = await sessions.authenticate(request.headers.authorization);
    }
  });
}
