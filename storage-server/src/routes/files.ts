import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ChunkParams, IdParams, ROUTES } from '@coffre/core/protocol';
import type { ChunkDownloads } from '../http/chunk-download';
import type { Services } from '../services';

export interface FileRouteOptions {
  services: Services;
  downloads: ChunkDownloads;
}

export const fileRoutes: FastifyPluginAsyncTypebox<FileRouteOptions> = async (
  app,
  { services, downloads },
) => {
  const { files, sessions } = services;
  const owner = async (authorization: string | undefined) =>
    (await sessions.authenticate(authorization)).userId;

  app.get(ROUTES.file, { schema: { params: IdParams } }, async (request) =>
    files.manifest(await owner(request.headers.authorization), request.params.id),
  );

  app.get(
    ROUTES.fileChunk,
    { onSend: downloads.meter, schema: { params: ChunkParams } },
    async (request, reply) => {
      const ownerId = await owner(request.headers.authorization);
      const chunk = await files.chunk(ownerId, request.params.id, Number(request.params.index));
      // Files have one revision for now, so a chunk URL always names the same bytes; once files
      // get new revisions the URL must name the revision too.
      return downloads.send(request, reply, {
        ownerId,
        chunk,
        cacheControl: 'private, max-age=31536000, immutable',
      });
    },
  );
};
