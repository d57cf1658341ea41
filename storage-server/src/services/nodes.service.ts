import type { CreateFolderRequest, Node, UpdateNodeRequest } from '@coffre/core/protocol';
import { badRequest, conflict, notFound } from '../api-error';
import type { Db } from '../db/database';
import type { Repositories } from '../repositories';
import type { NodeRow } from '../repositories/nodes.repository';

export function nodeOf(row: NodeRow): Node {
  const file =
    row.type === 'file' &&
    row.revision !== null &&
    row.wrapped_content_key !== null &&
    row.size !== null &&
    row.chunk_count !== null
      ? {
          revision: row.revision,
          wrappedContentKey: row.wrapped_content_key,
          size: row.size,
          chunkCount: row.chunk_count,
        }
      : null;
  return {
    id: row.id,
    parentId: row.parent_id,
    type: row.type,
    wrappedKey: row.wrapped_key,
    encMeta: row.enc_meta,
    createdAt: row.created_at,
    trashedAt: row.trashed_at,
    file,
  };
}

/** Whether a node is in the bin, given its chain up to the root: it or any ancestor is. */
export function inBin(chain: { trashed_at: number | null }[]): boolean {
  return chain.some((n) => n.trashed_at !== null);
}

/** The folder tree. Every lookup is scoped to the owner: someone else's id is simply not found. */
export class Nodes {
  constructor(
    private readonly db: Db,
    private readonly repositories: Pick<Repositories, 'nodes' | 'uploads'>,
    private readonly now: () => number,
  ) {}

  async get(ownerId: string, id: string, db: Db = this.db): Promise<NodeRow> {
    const row = await this.repositories.nodes.find(ownerId, id, db);
    if (!row) throw notFound('no such node');
    return row;
  }

  /** Whether the owner's node or any of its ancestors is in the bin. */
  async isInBin(ownerId: string, id: string, db: Db = this.db): Promise<boolean> {
    return inBin(await this.repositories.nodes.chain(ownerId, id, db));
  }

  /** A folder that can take new children: the owner's, and neither it nor an ancestor in the bin. */
  async requireLiveFolder(ownerId: string, id: string, db: Db = this.db): Promise<void> {
    const folder = await this.get(ownerId, id, db);
    if (folder.type !== 'folder') throw conflict('the parent is not a folder');
    if (await this.isInBin(ownerId, id, db)) throw conflict('the parent is in the bin');
  }

  /** True if no node or open upload uses this id. */
  async isFree(id: string, db: Db = this.db): Promise<boolean> {
    const [node, upload] = await Promise.all([
      this.repositories.nodes.exists(id, db),
      this.repositories.uploads.holdsNode(id, db),
    ]);
    return !node && !upload;
  }

  async children(ownerId: string, folderId: string): Promise<Node[]> {
    const folder = await this.get(ownerId, folderId);
    if (folder.type !== 'folder') throw conflict('not a folder');
    return (await this.repositories.nodes.children(ownerId, folderId)).map(nodeOf);
  }

  async createFolder(ownerId: string, request: CreateFolderRequest): Promise<Node> {
    return this.db.transaction().execute(async (trx) => {
      await this.requireLiveFolder(ownerId, request.parentId, trx);
      if (!(await this.isFree(request.id, trx))) throw conflict('id already in use');
      const row = {
        id: request.id,
        owner_id: ownerId,
        parent_id: request.parentId,
        type: 'folder' as const,
        wrapped_key: request.wrappedKey,
        enc_meta: request.encMeta,
        created_at: this.now(),
      };
      await this.repositories.nodes.insert(row, trx);
      return nodeOf(await this.get(ownerId, request.id, trx));
    });
  }

  /** Rename, and move when `parentId` (with the key rewrapped for it) is given. */
  async update(ownerId: string, id: string, request: UpdateNodeRequest): Promise<Node> {
    const moving = request.parentId !== undefined;
    if (moving !== (request.wrappedKey !== undefined)) {
      throw badRequest('a move needs both parentId and wrappedKey');
    }
    return this.db.transaction().execute(async (trx) => {
      const node = await this.get(ownerId, id, trx);
      if (node.parent_id === null) throw conflict('the root folder cannot be changed');
      if (await this.isInBin(ownerId, id, trx)) throw conflict('the node is in the bin');
      if (request.parentId !== undefined) {
        await this.requireLiveFolder(ownerId, request.parentId, trx);
        const targetChain = await this.repositories.nodes.chain(ownerId, request.parentId, trx);
        if (targetChain.some((n) => n.id === id)) {
          throw conflict('a folder cannot move into itself or its own subfolder');
        }
      }
      const changes = {
        enc_meta: request.encMeta,
        ...(request.parentId !== undefined
          ? { parent_id: request.parentId, wrapped_key: request.wrappedKey }
          : {}),
      };
      await this.repositories.nodes.update(id, changes, trx);
      return nodeOf(await this.get(ownerId, id, trx));
    });
  }

  /** Moves a node to the bin; its subtree goes with it. Trashing twice keeps the first time. */
  async trash(ownerId: string, id: string): Promise<void> {
    const node = await this.get(ownerId, id);
    if (node.parent_id === null) throw conflict('the root folder cannot be deleted');
    await this.repositories.nodes.trash(id, this.now());
  }

  async restore(ownerId: string, id: string): Promise<Node> {
    return this.db.transaction().execute(async (trx) => {
      const node = await this.get(ownerId, id, trx);
      if (node.parent_id !== null && (await this.isInBin(ownerId, node.parent_id, trx))) {
        throw conflict('the folder it was in is in the bin; restore that first');
      }
      await this.repositories.nodes.restore(id, trx);
      return nodeOf(await this.get(ownerId, id, trx));
    });
  }

  /** Nodes put in the bin themselves, not those that are there because an ancestor is. */
  async listTrash(ownerId: string): Promise<Node[]> {
    return (await this.repositories.nodes.binned(ownerId)).map(nodeOf);
  }
}
