import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  LoginRequest,
  PasswordChangeRequest,
  PreloginRequest,
  RecoverRequest,
  ROUTES,
  SignupRequest,
} from '@coffre/core/protocol';
import type { RateLimit } from '../config';
import type { Services } from '../services';
import { SIGNED_IN } from './authentication';

/** Addresses the auth limiter remembers per route: a minute of a launch-day crowd. */
const AUTH_LIMIT_ADDRESSES = 200_000;

export interface AuthRouteOptions {
  services: Services;
  rateLimit: RateLimit;
}

export const authRoutes: FastifyPluginAsyncTypebox<AuthRouteOptions> = async (
  app,
  { services, rateLimit },
) => {
  const { accounts, sessions } = services;
  // Per IP and route: slows password guessing and account probing. The limiter forgets the least
  // recently seen addresses past `cache`; a launch-day crowd (2,000 sign-ups a second is 120,000
  // addresses a minute) must not push an abuser's count out before its window ends.
  const limited = {
    rateLimit: { max: rateLimit.max, timeWindow: rateLimit.windowMs, cache: AUTH_LIMIT_ADDRESSES },
  };

  app.post(
    ROUTES.prelogin,
    { config: limited, schema: { body: PreloginRequest } },
    async (request) => accounts.prelogin(request.body.email),
  );

  // One answer whatever was stored: the log-in that follows tells the client (protocol.md §3).
  app.post(
    ROUTES.signup,
    { config: limited, schema: { body: SignupRequest } },
    async (request, reply) => {
      await accounts.signup(request.body);
      return reply.status(202).send();
    },
  );

  app.post(ROUTES.login, { config: limited, schema: { body: LoginRequest } }, async (request) =>
    accounts.login(request.body.email, request.body.authKey),
  );

  app.post(ROUTES.recover, { config: limited, schema: { body: RecoverRequest } }, async (request) =>
    accounts.recover(request.body.email, request.body.recoveryAuthKey),
  );

  app.post(ROUTES.logout, { config: SIGNED_IN }, async (request, reply) => {
    await sessions.close(request.session.tokenHash);
    return reply.status(204).send();
  });

  app.get(ROUTES.account, { config: SIGNED_IN }, async (request) =>
    accounts.get(request.session.userId),
  );

  app.post(
    ROUTES.password,
    { config: SIGNED_IN, schema: { body: PasswordChangeRequest } },
    async (request, reply) => {
      await accounts.changePassword(request.session, request.body);
      return reply.status(204).send();
    },
  );
};
