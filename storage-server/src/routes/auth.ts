import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  LoginRequest,
  PasswordChangeRequest,
  PreloginRequest,
  RecoverRequest,
  ROUTES,
  SignupRequest,
} from '../../../core/protocol';
import type { RateLimit } from '../config';
import type { Services } from '../services';

export interface AuthRouteOptions {
  services: Services;
  rateLimit: RateLimit;
}

export const authRoutes: FastifyPluginAsyncTypebox<AuthRouteOptions> = async (
  app,
  { services, rateLimit },
) => {
  const { accounts, sessions } = services;
  // Per IP and route: slows password guessing and account probing.
  const limited = { rateLimit: { max: rateLimit.max, timeWindow: rateLimit.windowMs } };

  app.post(
    ROUTES.prelogin,
    { config: limited, schema: { body: PreloginRequest } },
    async (request) => accounts.prelogin(request.body.email),
  );

  app.post(
    ROUTES.signup,
    { config: limited, schema: { body: SignupRequest } },
    async (request, reply) => reply.status(201).send(await accounts.signup(request.body)),
  );

  app.post(ROUTES.login, { config: limited, schema: { body: LoginRequest } }, async (request) =>
    accounts.login(request.body.email, request.body.authKey),
  );

  app.post(ROUTES.recover, { config: limited, schema: { body: RecoverRequest } }, async (request) =>
    accounts.recover(request.body.email, request.body.recoveryAuthKey),
  );

  app.post(ROUTES.logout, async (request, reply) => {
    const session = await sessions.authenticate(request.headers.authorization);
    await sessions.close(session.tokenHash);
    return reply.status(204).send();
  });

  app.get(ROUTES.account, async (request) => {
    const session = await sessions.authenticate(request.headers.authorization);
    return accounts.get(session.userId);
  });

  app.post(ROUTES.password, { schema: { body: PasswordChangeRequest } }, async (request, reply) => {
    const session = await sessions.authenticate(request.headers.authorization);
    await accounts.changePassword(session, request.body);
    return reply.status(204).send();
  });
};
