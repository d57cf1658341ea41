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
import { CHUNK_BUSY_RETRY_SECONDS } from '../services/download-grants';
import { SIGNED_IN } from './authentication';

export interface LinkRouteOptions {
  services: Services;
  downloads: ChunkDownloads;
  rateLimits: LinkRateLimits;
}

export const linkRoutes: FastifyPluginAsyncTypebox<LinkRouteOptions> = async (
  app,
  { services, downloads, rateLimits },
) => {
  const { links, linkDownloads } = services;

  app.post(ROUTES.linkIds, { config: SIGNED_IN }, async (request, reply) => {
    const linkId = await links.drawId(request.session.userId);
    return reply.status(201).send({ linkId });
  });

  app.post(
    ROUTES.links,
    { config: SIGNED_IN, schema: { body: CreateLinkRequest } },
    async (request, reply) => {
      const link = await links.create(request.session.userId, request.body);
      return reply.status(201).send({ link });
    },
  );

  app.get(ROUTES.links, { config: SIGNED_IN }, async (request) => ({
    links: await links.list(request.session.userId),
  }));

  app.patch(
    ROUTES.link,
    { config: SIGNED_IN, schema: { params: LinkParams, body: UpdateLinkRequest } },
    async (request) => ({
      link: await links.update(request.session.userId, request.params.linkId, request.body),
    }),
  );

  app.delete(
    ROUTES.link,
    { config: SIGNED_IN, schema: { params: LinkParams } },
    async (request, reply) => {
      await links.revoke(request.session.userId, request.params.linkId);
      return reply.status(204).send();
    },
  );

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
      reply.header('cache-control', 'no-store');
      return linkDownloads.manifest(request.params.linkId, request.params.nodeId);
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
      const grant = request.headers[DOWNLOAD_GRANT_HEADER];
      const { ownerId, chunk, start, end } = await linkDownloads.chunk({
        linkId: request.params.linkId,
        nodeId: request.params.nodeId,
        index: Number(request.params.index),
        grant: typeof grant === 'string' ? grant : undefined,
      });
      // A revoked link must not come back from any cache. A chunk refused by the owner's transfer
      // quota counts no download: the download is only counted once its first chunk can be sent.
      return downloads.send(request, reply, {
        ownerId,
        chunk,
        cacheControl: 'no-store',
        beforeServing: async () => {
          try {
            const issued = await start();
            if (issued !== null) reply.header(DOWNLOAD_GRANT_HEADER, issued);
          } catch (error) {
            // Another response of this grant is sending the chunk: its end is near.
            if (error instanceof ApiError && error.code === 'rate_limited') {
              reply.header('retry-after', String(CHUNK_BUSY_RETRY_SECONDS));
            }
            throw error;
          }
        },
        afterServing: end,
      });
    },
  );
};
