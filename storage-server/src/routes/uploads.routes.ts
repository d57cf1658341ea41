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
import { SIGNED_IN } from './authentication';

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
  const { uploads } = services;

  app.post(
    ROUTES.uploads,
    { config: SIGNED_IN, schema: { body: CreateUploadRequest } },
    async (request, reply) => {
      const created = await uploads.create(request.session.userId, request.body);
      return reply.status(201).send(created);
    },
  );

  app.get(ROUTES.upload, { config: SIGNED_IN, schema: { params: IdParams } }, async (request) =>
    uploads.status(request.session.userId, request.params.id),
  );

  app.post(
    ROUTES.uploadCommit,
    {
      config: SIGNED_IN,
      bodyLimit: commitBodyLimit,
      schema: { params: IdParams, body: CommitUploadRequest },
    },
    async (request, reply) => {
      const node = await uploads.commit(request.session.userId, request.params.id, request.body);
      return reply.status(201).send({ node });
    },
  );

  app.delete(
    ROUTES.upload,
    { config: SIGNED_IN, schema: { params: IdParams } },
    async (request, reply) => {
      await uploads.cancel(request.session.userId, request.params.id);
      return reply.status(204).send();
    },
  );

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
      { config: SIGNED_IN, schema: { params: ChunkParams, headers: ChunkHeaders } },
      async (request, reply) => {
        // fastify's bodyLimit does not apply to a pass-through parser: the store caps the stream.
        const body = request.body instanceof Readable ? request.body : Readable.from([]);
        const result = await uploads.putChunk(request.session.userId, request.params.id, {
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
