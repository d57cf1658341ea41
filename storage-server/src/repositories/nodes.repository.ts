import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import { compileOnce } from '../db/compiled-query';
import type { Db } from '../db/database';
import type { NodesTable } from '../db/schema';
import { batches } from './batches';

export type NodeRow = Selectable<NodesTable>;

/** A node of a subtree and how far below the subtree's root it sits. */
export interface SubtreeNode {
  id: string;
  depth: number;
}

/** The committed revision of a file: what its manifest and chunks are read from. */
export interface CommittedFile {
  revision: number;
  wrapped_content_key: string;
  manifest: string;
  size: number;
  content_id: string;
}

/** Committed bytes under one child of the root, in the bin or not. */
export interface TopFolderBytes {
  nodeId: string;
  type: NodesTable['type'];
  inBin: boolean;
  bytes: number;
}

/** The root folder's insert, compiled once: every sign-up runs it. */
function nodeQueries(db: Db) {
  return {
    /**
     * Inserts nothing when the id is a node's or an open upload's, or no account `ownerId` names
     * it as its root: a sign-up that made no account runs it too, and it must do nothing.
     */
    insertRoot: compileOnce(db, (db, p: { id: string; ownerId: string; createdAt: number }) =>
      db
        .insertInto('nodes')
        .columns(['id', 'owner_id', 'type', 'created_at'])
        .expression(
          db
            .selectNoFrom((eb) => [
              eb.val(p.id).as('id'),
              eb.val(p.ownerId).as('owner_id'),
              eb.val('folder').as('type'),
              eb.val(p.createdAt).as('created_at'),
            ])
            .where(({ and, not, exists, selectFrom }) =>
              and([
                not(exists(selectFrom('uploads').select('id').where('node_id', '=', p.id))),
                exists(
                  selectFrom('accounts')
                    .select('user_id')
                    .where('user_id', '=', p.ownerId)
                    .where('root_id', '=', p.id),
                ),
              ]),
            ),
        )
        .onConflict((oc) => oc.doNothing()),
    ),
  };
}

/** The nodes table: the folder tree of every account and the committed revision of each file. */
export class NodesRepository {
  private readonly queries: ReturnType<typeof nodeQueries>;

  constructor(private readonly db: Db) {
    this.queries = nodeQueries(db);
  }

  /** False, and nothing written, when `insertRoot` above inserts nothing. */
  async insertRoot(
    root: { id: string; ownerId: string; createdAt: number },
    db: Db = this.db,
  ): Promise<boolean> {
    const result = await this.queries.insertRoot(db, root);
    return result.numAffectedRows === 1n;
  }

  async insert(row: Insertable<NodesTable>, db: Db = this.db): Promise<void> {
    await db.insertInto('nodes').values(row).execute();
  }

  /** The owner's node of this id; someone else's is not found. */
  async find(ownerId: string, id: string, db: Db = this.db): Promise<NodeRow | undefined> {
    return db
      .selectFrom('nodes')
      .selectAll()
      .where('id', '=', id)
      .where('owner_id', '=', ownerId)
      .executeTakeFirst();
  }

  /** Whether any node, of any owner, has this id. */
  async exists(id: string, db: Db = this.db): Promise<boolean> {
    const row = await db.selectFrom('nodes').select('id').where('id', '=', id).executeTakeFirst();
    return row !== undefined;
  }

  /** Whether a committed file's content is stored under this content id. */
  async holdsContent(contentId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('nodes')
      .select('id')
      .where('content_id', '=', contentId)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** The node and its ancestors up to the root, nearest first. */
  async chain(ownerId: string, id: string, db: Db = this.db) {
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

  /** A folder's children that are not in the bin themselves, oldest first. */
  async children(ownerId: string, folderId: string): Promise<NodeRow[]> {
    return this.db
      .selectFrom('nodes')
      .selectAll()
      .where('owner_id', '=', ownerId)
      .where('parent_id', '=', folderId)
      .where('trashed_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  async update(
    id: string,
    changes: Pick<Updateable<NodesTable>, 'enc_meta' | 'parent_id' | 'wrapped_key'>,
    db: Db = this.db,
  ): Promise<void> {
    await db.updateTable('nodes').set(changes).where('id', '=', id).execute();
  }

  /** Puts the node in the bin at `time`; one already there keeps its first time. */
  async trash(id: string, time: number): Promise<void> {
    await this.db
      .updateTable('nodes')
      .set({ trashed_at: time })
      .where('id', '=', id)
      .where('trashed_at', 'is', null)
      .execute();
  }

  async restore(id: string, db: Db = this.db): Promise<void> {
    await db.updateTable('nodes').set({ trashed_at: null }).where('id', '=', id).execute();
  }

  /** Nodes put in the bin themselves, not those that are there because an ancestor is. */
  async binned(ownerId: string, db: Db = this.db): Promise<NodeRow[]> {
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
    return rows;
  }

  /** The owner's nodes of `roots` and everything below them. */
  async subtrees(ownerId: string, roots: string[], db: Db = this.db): Promise<SubtreeNode[]> {
    const nodes: SubtreeNode[] = [];
    for (const batch of batches(roots)) {
      const { rows } = await sql<SubtreeNode>`
        WITH RECURSIVE subtree(id, depth) AS (
          SELECT id, 0 FROM nodes WHERE owner_id = ${ownerId} AND id IN (${sql.join(batch)})
          UNION ALL
          SELECT n.id, s.depth + 1 FROM nodes n JOIN subtree s ON n.parent_id = s.id
        )
        SELECT id, depth FROM subtree
      `.execute(db);
      nodes.push(...rows);
    }
    return nodes;
  }

  /** Deletes the nodes of whole subtrees; returns the content and size of each one removed. */
  async deleteSubtrees(nodes: SubtreeNode[], db: Db = this.db) {
    // Deepest first, so no statement removes a folder whose children are still there.
    const deepestFirst = [...nodes].sort((a, b) => b.depth - a.depth).map((n) => n.id);
    const deleted: { content_id: string | null; size: number | null }[] = [];
    for (const batch of batches(deepestFirst)) {
      deleted.push(
        ...(await db
          .deleteFrom('nodes')
          .where('id', 'in', batch)
          .returning(['content_id', 'size'])
          .execute()),
      );
    }
    return deleted;
  }

  /** The owner's file of this id with its committed revision; undefined for anything else. */
  async committedFile(ownerId: string, nodeId: string): Promise<CommittedFile | undefined> {
    const row = await this.db
      .selectFrom('nodes')
      .select(['revision', 'wrapped_content_key', 'manifest', 'size', 'content_id'])
      .where('id', '=', nodeId)
      .where('owner_id', '=', ownerId)
      .where('type', '=', 'file')
      .executeTakeFirst();
    if (
      !row ||
      row.revision === null ||
      row.wrapped_content_key === null ||
      row.manifest === null ||
      row.size === null ||
      row.content_id === null
    ) {
      return undefined;
    }
    return {
      revision: row.revision,
      wrapped_content_key: row.wrapped_content_key,
      manifest: row.manifest,
      size: row.size,
      content_id: row.content_id,
    };
  }

  /**
   * Committed bytes below the root, summed per child of the root it sits under and per whether
   * it or an ancestor is in the bin.
   */
  async bytesByTopFolder(ownerId: string, rootId: string): Promise<TopFolderBytes[]> {
    const { rows } = await sql<{
      top: string;
      top_type: NodesTable['type'];
      in_bin: number;
      bytes: number | null;
    }>`
      WITH RECURSIVE walk(id, top, top_type, in_bin, size) AS (
        SELECT id, id, type, CASE WHEN trashed_at IS NULL THEN 0 ELSE 1 END, size
        FROM nodes WHERE owner_id = ${ownerId} AND parent_id = ${rootId}
        UNION ALL
        SELECT n.id, w.top, w.top_type,
          CASE WHEN w.in_bin = 1 OR n.trashed_at IS NOT NULL THEN 1 ELSE 0 END, n.size
        FROM nodes n JOIN walk w ON n.parent_id = w.id
      )
      SELECT top, top_type, in_bin, SUM(size) AS bytes FROM walk GROUP BY top, top_type, in_bin
    `.execute(this.db);
    return rows.map((row) => ({
      nodeId: row.top,
      type: row.top_type,
      inBin: Boolean(row.in_bin),
      bytes: Number(row.bytes ?? 0),
    }));
  }
}
