import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isId } from '@coffre/core/format';
import {
  CreateLinkRequest,
  DOWNLOAD_GRANT_HEADER,
  LinkChunkParams,
  LinkNodeParams,
  LinkParams,
  ROUTES,
  UpdateLinkRequest,
} from '@coffre/core/protocol';
import { ApiError } from '../api-error';
import type { LinkRateLimits, RateLimit } from '../config';
import type { ChunkDownloads } from '../http/chunk-download';
import { clientAddressKey } from '../http/client-address';
import type { Services } from '../services';
import { linkNotFound } from '../services/links';

export interface LinkRouteOptions {
  services: Services;
  downloads: ChunkDownloads;
  rateLimits: LinkRateLimits;
}

export const linkRoutes: FastifyPluginAsyncTypebox<LinkRouteOptions> = async (
  app,
  { services, downloads, rateLimits },
) => {
  const { links, files, sessions, grants } = services;
  const owner = async (authorization: string | undefined) =>
    (await sessions.authenticate(authorization)).userId;

  app.post(ROUTES.links, { schema: { body: CreateLinkRequest } }, async (request, reply) => {
    const link = await links.create(await owner(request.headers.authorization), request.body);
    return reply.status(201).send({ link });
  });

  app.get(ROUTES.links, async (request) => ({
    links: await links.list(await owner(request.headers.authorization)),
  }));

  app.patch(
    ROUTES.link,
    { schema: { params: LinkParams, body: UpdateLinkRequest } },
    async (request) => ({
      link: await links.update(
        await owner(request.headers.authorization),
        request.params.linkId,
        request.body,
      ),
    }),
  );

  app.delete(ROUTES.link, { schema: { params: LinkParams } }, async (request, reply) => {
    await links.revoke(await owner(request.headers.authorization), request.params.linkId);
    return reply.status(204).send();
  });

  // Anonymous routes: limited per IP and, across all IPs, per link id. Each limiter keeps its own
  // counters, shared by the routes it guards; a request must pass all of its limiters.
  const limiter = (limit: RateLimit, keyGenerator?: (request: FastifyRequest) => string) =>
    app.createRateLimit({
      max: limit.max,
      timeWindow: limit.windowMs,
      ...(keyGenerator ? { keyGenerator } : {}),
    });
  const guard =
    (...limiters: ReturnType<typeof limiter>[]) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      for (const limit of limiters) {
        const result = await limit(request);
        if (!result.isAllowed && result.isExceeded) {
          reply.header('retry-after', String(result.ttlInSeconds));
          throw new ApiError(
            'rate_limited',
            `too many requests; try again in ${result.ttlInSeconds} seconds`,
          );
        }
      }
    };
  // Runs before validation: a malformed id (up to 8 KiB) must not become a key of its own.
  const perLink = limiter(rateLimits.perLink, (request) => {
    const { linkId } = request.params as { linkId?: unknown };
    return isId(linkId) ? `link:${linkId}` : 'link:malformed';
  });
  // Keys name their limiter, so the two per-IP limiters never share a counter in a shared store.
  const perIp = (name: string) => (request: FastifyRequest) =>
    `${name}:${clientAddressKey(request.ip)}`;
  const metadataLimits = {
    onRequest: guard(limiter(rateLimits.metadata, perIp('metadata')), perLink),
  };
  const contentLimits = {
    onRequest: guard(limiter(rateLimits.content, perIp('content')), perLink),
  };

  app.get(
    ROUTES.link,
    { ...metadataLimits, schema: { params: LinkParams } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return links.open(request.params.linkId);
    },
  );

  app.get(
    ROUTES.linkChildren,
    { ...contentLimits, schema: { params: LinkNodeParams } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return { nodes: await links.children(request.params.linkId, request.params.nodeId) };
    },
  );

  app.get(
    ROUTES.linkFile,
    { ...contentLimits, schema: { params: LinkNodeParams } },
    async (request, reply) => {
      const { linkId, nodeId } = request.params;
      reply.header('cache-control', 'no-store');
      return files.manifest(await links.fileOwner(linkId, nodeId), nodeId);
    },
  );

  app.get(
    ROUTES.linkFileChunk,
    {
      ...contentLimits,
      onSend: downloads.meter,
      // A HEAD would count a download without serving one.
      exposeHeadRoute: false,
      schema: { params: LinkChunkParams },
    },
    async (request, reply) => {
      const { linkId, nodeId } = request.params;
      const index = Number(request.params.index);
      const grant = request.headers[DOWNLOAD_GRANT_HEADER];
      const granted = grants.isValid(linkId, nodeId, typeof grant === 'string' ? grant : undefined);
      // Every link download starts at chunk 0: without a grant, chunk 0 counts one download and
      // is answered with a grant, and every other chunk of the file needs that grant. So no range,
      // skipped chunk or retry can dodge the count, and a retry within a download never spends it
      // twice. A grant finishes a counted download past the limit; it never starts a new one.
      if (!granted && index !== 0) throw linkNotFound();
      const ownerId = await links.fileOwner(linkId, nodeId, granted);
      const chunk = await files.chunk(ownerId, nodeId, index);
      // A revoked link must not come back from any cache. A chunk refused by the owner's transfer
      // quota counts no download: the download is only counted once its first chunk can be sent.
      return downloads.send(request, reply, {
        ownerId,
        chunk,
        cacheControl: 'no-store',
        beforeServing: async () => {
          if (granted) return;
          await links.countDownload(linkId);
          reply.header(DOWNLOAD_GRANT_HEADER, grants.issue(linkId, nodeId));
        },
      });
    },
  );
};
