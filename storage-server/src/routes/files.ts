import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ChunkParams, IdParams, ROUTES } from '../../../core/protocol';
import type { Services } from '../services';

export const fileRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const { files, sessions, blobs } = services;
  const owner = async (authorization: string | undefined) =>
    (await sessions.authenticate(authorization)).userId;

  app.get(ROUTES.file, { schema: { params: IdParams } }, async (request) =>
    files.manifest(await owner(request.headers.authorization), request.params.id),
  );

  app.get(ROUTES.fileChunk, { schema: { params: ChunkParams } }, async (request, reply) => {
    const userId = await owner(request.headers.authorization);
    const chunk = await files.chunk(userId, request.params.id, Number(request.params.index));
    // Files have one revision for now, so a chunk URL always names the same bytes; once files get
    // new revisions the URL must name the revision too.
    reply
      .header('cache-control', 'private, max-age=31536000, immutable')
      .header('content-type', 'application/octet-stream');
    return reply.sendFile(blobs.relativePath(chunk.key), blobs.blobsDir, {
      acceptRanges: true,
      cacheControl: false,
      contentType: false,
      lastModified: false,
      etag: false,
      dotfiles: 'deny',
    });
  });
};
