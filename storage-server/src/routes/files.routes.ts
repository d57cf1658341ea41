import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ChunkParams, IdParams, ROUTES } from '@coffre/core/protocol';
import type { ChunkDownloads } from '../http/chunk-download';
import type { Services } from '../services';
import { SIGNED_IN } from './authentication';

export interface FileRouteOptions {
  services: Services;
  downloads: ChunkDownloads;
}

export const fileRoutes: FastifyPluginAsyncTypebox<FileRouteOptions> = async (
  app,
  { services, downloads },
) => {
  const { files } = services;

  app.get(ROUTES.file, { config: SIGNED_IN, schema: { params: IdParams } }, async (request) =>
    files.manifest(request.session.userId, request.params.id),
  );

  app.get(
    ROUTES.fileChunk,
    { config: SIGNED_IN, onSend: downloads.meter, schema: { params: ChunkParams } },
    async (request, reply) => {
      const ownerId = request.session.userId;
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
