import { sql, type Selectable } from 'kysely';
import type { CreateFolderRequest, Node, UpdateNodeRequest } from '@coffre/core/protocol';
import { badRequest, conflict, notFound } from '../api-error';
import type { Db } from '../db/database';
import type { NodesTable } from '../db/schema';

type NodeRow = Selectable<NodesTable>;

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

/** The node and its ancestors up to the root, nearest first. */
export async function chainOf(db: Db, ownerId: string, id: string) {
  const { rows } = await sql<{ id: string; trashed_at: number | null }>`
    WITH RECURSIVE chain(id, parent_id, trashed_at, depth) AS (
      SELECT id, parent_id, trashed_at, 0 FROM nodes WHERE id = ${id} AND owner_id = ${ownerId}
      UNION ALL
      SELECT n.id, n.parent_id, n.trashed_at, c.depth + 1
      FROM nodes n JOIN chain c ON n.id = c.parent_id
    )
    SELECT id, trashed_at FROM chain ORDER BY depth`.execute(db);
  return rows;
}

/** The folder tree. Every lookup is scoped to the owner: someone else's id is simply not found. */
export class Nodes {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  async get(ownerId: string, id: string, db: Db = this.db): Promise<NodeRow> {
    const row = await db
      .selectFrom('nodes')
      .selectAll()
      .where('id', '=', id)
      .where('owner_id', '=', ownerId)
      .executeTakeFirst();
    if (!row) throw notFound('no such node');
    return row;
  }

  /** A folder that can take new children: the owner's, and neither it nor an ancestor in the bin. */
  async requireLiveFolder(ownerId: string, id: string, db: Db = this.db): Promise<void> {
    const folder = await this.get(ownerId, id, db);
    if (folder.type !== 'folder') throw conflict('the parent is not a folder');
    const chain = await chainOf(db, ownerId, id);
    if (chain.some((n) => n.trashed_at !== null)) throw conflict('the parent is in the bin');
  }

  /** True if no node or open upload uses this id. */
  async isFree(id: string, db: Db = this.db): Promise<boolean> {
    const [node, upload] = await Promise.all([
      db.selectFrom('nodes').select('id').where('id', '=', id).executeTakeFirst(),
      db.selectFrom('uploads').select('id').where('node_id', '=', id).executeTakeFirst(),
    ]);
    return !node && !upload;
  }

  async children(ownerId: string, folderId: string): Promise<Node[]> {
    const folder = await this.get(ownerId, folderId);
    if (folder.type !== 'folder') throw conflict('not a folder');
    const rows = await this.db
      .selectFrom('nodes')
      .selectAll()
      .where('owner_id', '=', ownerId)
      .where('parent_id', '=', folderId)
      .where('trashed_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(nodeOf);
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
      await trx.insertInto('nodes').values(row).execute();
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
      const chain = await chainOf(trx, ownerId, id);
      if (chain.some((n) => n.trashed_at !== null)) throw conflict('the node is in the bin');
      if (request.parentId !== undefined) {
        await this.requireLiveFolder(ownerId, request.parentId, trx);
        const targetChain = await chainOf(trx, ownerId, request.parentId);
        if (targetChain.some((n) => n.id === id)) {
          throw conflict('a folder cannot move into itself or its own subfolder');
        }
      }
      await trx
        .updateTable('nodes')
        .set({
          enc_meta: request.encMeta,
          ...(request.parentId !== undefined
            ? { parent_id: request.parentId, wrapped_key: request.wrappedKey }
            : {}),
        })
        .where('id', '=', id)
        .execute();
      return nodeOf(await this.get(ownerId, id, trx));
    });
  }

  /** Moves a node to the bin; its subtree goes with it. Trashing twice keeps the first time. */
  async trash(ownerId: string, id: string): Promise<void> {
    const node = await this.get(ownerId, id);
    if (node.parent_id === null) throw conflict('the root folder cannot be deleted');
    await this.db
      .updateTable('nodes')
      .set({ trashed_at: this.now() })
      .where('id', '=', id)
      .where('trashed_at', 'is', null)
      .execute();
  }

  async restore(ownerId: string, id: string): Promise<Node> {
    return this.db.transaction().execute(async (trx) => {
      const node = await this.get(ownerId, id, trx);
      if (node.parent_id !== null) {
        const parentChain = await chainOf(trx, ownerId, node.parent_id);
        if (parentChain.some((n) => n.trashed_at !== null)) {
          throw conflict('the folder it was in is in the bin; restore that first');
        }
      }
      await trx.updateTable('nodes').set({ trashed_at: null }).where('id', '=', id).execute();
      return nodeOf(await this.get(ownerId, id, trx));
    });
  }

  /** Nodes put in the bin themselves, not those that are there because an ancestor is. */
  async listTrash(ownerId: string, db: Db = this.db): Promise<Node[]> {
    const { rows } = await sql<NodeRow>`
      WITH RECURSIVE up(start_id, id) AS (
        SELECT id, parent_id FROM nodes
        WHERE owner_id = ${ownerId} AND trashed_at IS NOT NULL AND parent_id IS NOT NULL
        UNION ALL
        SELECT up.start_id, n.parent_id FROM nodes n JOIN up ON n.id = up.id
        WHERE n.parent_id IS NOT NULL
      )
      SELECT * FROM nodes
      WHERE owner_id = ${ownerId} AND trashed_at IS NOT NULL
        AND id NOT IN (
          SELECT up.start_id FROM up JOIN nodes a ON a.id = up.id WHERE a.trashed_at IS NOT NULL
        )
      ORDER BY trashed_at, id`.execute(db);
    return rows.map(nodeOf);
  }
}
