import { Readable } from 'node:stream';
import type {
  FastifyPluginAsyncTypebox,
  TypeBoxTypeProvider,
} from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  CHUNK_SHA256_HEADER,
  ChunkId,
  ChunkParams,
  CommitUploadRequest,
  CreateUploadRequest,
  IdParams,
  ROUTES,
} from '@coffre/core/protocol';
import { badRequest } from '../api-error';
import type { ServerMetrics } from '../http/metrics';
import type { Services } from '../services';

export interface UploadRouteOptions {
  services: Services;
  commitBodyLimit: number;
  metrics: ServerMetrics;
}

const ChunkHeaders = Type.Object({ [CHUNK_SHA256_HEADER]: ChunkId });

function contentLength(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  if (!/^[0-9]{1,16}$/.test(header)) throw badRequest('invalid content-length');
  return Number(header);
}

export const uploadRoutes: FastifyPluginAsyncTypebox<UploadRouteOptions> = async (
  app,
  { services, commitBodyLimit, metrics },
) => {
  const { uploads, sessions } = services;
  const owner = async (authorization: string | undefined) =>
    (await sessions.authenticate(authorization)).userId;

  app.post(ROUTES.uploads, { schema: { body: CreateUploadRequest } }, async (request, reply) => {
    const created = await uploads.create(await owner(request.headers.authorization), request.body);
    return reply.status(201).send(created);
  });

  app.get(ROUTES.upload, { schema: { params: IdParams } }, async (request) =>
    uploads.status(await owner(request.headers.authorization), request.params.id),
  );

  app.post(
    ROUTES.uploadCommit,
    { bodyLimit: commitBodyLimit, schema: { params: IdParams, body: CommitUploadRequest } },
    async (request, reply) => {
      const node = await uploads.commit(
        await owner(request.headers.authorization),
        request.params.id,
        request.body,
      );
      return reply.status(201).send({ node });
    },
  );

  app.delete(ROUTES.upload, { schema: { params: IdParams } }, async (request, reply) => {
    await uploads.cancel(await owner(request.headers.authorization), request.params.id);
    return reply.status(204).send();
  });

  // Chunk bodies are raw bytes streamed straight to disk; this scope accepts nothing else, so a
  // JSON or form body answers 415.
  await app.register(async (plain) => {
    const scope = plain.withTypeProvider<TypeBoxTypeProvider>();
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/octet-stream', (_request, payload, done) => {
      done(null, payload);
    });

    scope.put(
      ROUTES.uploadChunk,
      { schema: { params: ChunkParams, headers: ChunkHeaders } },
      async (request, reply) => {
        const userId = await owner(request.headers.authorization);
        // fastify's bodyLimit does not apply to a pass-through parser: the store caps the stream.
        const body = request.body instanceof Readable ? request.body : Readable.from([]);
        const result = await uploads.putChunk(userId, request.params.id, {
          index: Number(request.params.index),
          sha256: request.headers[CHUNK_SHA256_HEADER],
          contentLength: contentLength(request.headers['content-length']),
          body,
        });
        if (result.created) metrics.stored(result.receipt.size);
        return reply.status(result.created ? 201 : 200).send(result.receipt);
      },
    );
  });
};
