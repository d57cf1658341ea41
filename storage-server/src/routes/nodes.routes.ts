import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CreateFolderRequest, IdParams, ROUTES, UpdateNodeRequest } from '@coffre/core/protocol';
import type { Services } from '../services';
import { nodeOf } from '../services/nodes.service';
import { SIGNED_IN } from './authentication';

export const nodeRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const { nodes, trash } = services;

  app.get(
    ROUTES.nodeChildren,
    { config: SIGNED_IN, schema: { params: IdParams } },
    async (request) => ({
      nodes: await nodes.children(request.session.userId, request.params.id),
    }),
  );

  app.get(ROUTES.node, { config: SIGNED_IN, schema: { params: IdParams } }, async (request) => ({
    node: nodeOf(await nodes.get(request.session.userId, request.params.id)),
  }));

  app.post(
    ROUTES.folders,
    { config: SIGNED_IN, schema: { body: CreateFolderRequest } },
    async (request, reply) => {
      const node = await nodes.createFolder(request.session.userId, request.body);
      return reply.status(201).send({ node });
    },
  );

  app.patch(
    ROUTES.node,
    { config: SIGNED_IN, schema: { params: IdParams, body: UpdateNodeRequest } },
    async (request) => ({
      node: await nodes.update(request.session.userId, request.params.id, request.body),
    }),
  );

  app.delete(
    ROUTES.node,
    { config: SIGNED_IN, schema: { params: IdParams } },
    async (request, reply) => {
      await nodes.trash(request.session.userId, request.params.id);
      return reply.status(204).send();
    },
  );

  app.post(
    ROUTES.nodeRestore,
    { config: SIGNED_IN, schema: { params: IdParams } },
    async (request) => ({
      node: await nodes.restore(request.session.userId, request.params.id),
    }),
  );

  app.get(ROUTES.trash, { config: SIGNED_IN }, async (request) => ({
    nodes: await nodes.listTrash(request.session.userId),
  }));

  app.delete(
    ROUTES.trashNode,
    { config: SIGNED_IN, schema: { params: IdParams } },
    async (request, reply) => {
      await trash.purge(request.session.userId, request.params.id);
      return reply.status(204).send();
    },
  );

  app.delete(ROUTES.trash, { config: SIGNED_IN }, async (request, reply) => {
    await trash.empty(request.session.userId);
    return reply.status(204).send();
  });
};
