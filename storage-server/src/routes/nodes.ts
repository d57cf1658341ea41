import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CreateFolderRequest, IdParams, ROUTES, UpdateNodeRequest } from '@coffre/core/protocol';
import type { Services } from '../services';
import { nodeOf } from '../services/nodes';

export const nodeRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const { nodes, sessions, trash } = services;
  const owner = async (authorization: string | undefined) =>
    (await sessions.authenticate(authorization)).userId;

  app.get(ROUTES.nodeChildren, { schema: { params: IdParams } }, async (request) => ({
    nodes: await nodes.children(await owner(request.headers.authorization), request.params.id),
  }));

  app.get(ROUTES.node, { schema: { params: IdParams } }, async (request) => ({
    node: nodeOf(await nodes.get(await owner(request.headers.authorization), request.params.id)),
  }));

  app.post(ROUTES.folders, { schema: { body: CreateFolderRequest } }, async (request, reply) => {
    const node = await nodes.createFolder(await owner(request.headers.authorization), request.body);
    return reply.status(201).send({ node });
  });

  app.patch(
    ROUTES.node,
    { schema: { params: IdParams, body: UpdateNodeRequest } },
    async (request) => ({
      node: await nodes.update(
        await owner(request.headers.authorization),
        request.params.id,
        request.body,
      ),
    }),
  );

  app.delete(ROUTES.node, { schema: { params: IdParams } }, async (request, reply) => {
    await nodes.trash(await owner(request.headers.authorization), request.params.id);
    return reply.status(204).send();
  });

  app.post(ROUTES.nodeRestore, { schema: { params: IdParams } }, async (request) => ({
    node: await nodes.restore(await owner(request.headers.authorization), request.params.id),
  }));

  app.get(ROUTES.trash, async (request) => ({
    nodes: await nodes.listTrash(await owner(request.headers.authorization)),
  }));

  app.delete(ROUTES.trashNode, { schema: { params: IdParams } }, async (request, reply) => {
    await trash.purge(await owner(request.headers.authorization), request.params.id);
    return reply.status(204).send();
  });

  app.delete(ROUTES.trash, async (request, reply) => {
    await trash.empty(await owner(request.headers.authorization));
    return reply.status(204).send();
  });
};
