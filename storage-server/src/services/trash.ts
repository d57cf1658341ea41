import { sql } from 'kysely';
import { conflict } from '../api-error';
import type { Db } from '../db/database';
import type { BlobStore } from '../stores/blob-store';
import { chainOf, type Nodes } from './nodes';

interface SubtreeNode {
  id: string;
  depth: number;
}

/** Ids go to the database in batches of this many, well below any bound on query parameters. */
const BATCH = 500;

function batches<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH) out.push(items.slice(i, i + BATCH));
  return out;
}

/**
 * Purging the bin: the rows go in one transaction that frees the storage, then the blobs. A crash
 * between the two leaves only unreferenced chunk directories, which start-up removes.
 */
export class Trash {
  constructor(
    private readonly db: Db,
    private readonly blobs: BlobStore,
    private readonly nodes: Nodes,
  ) {}

  /** Deletes for good a node in the bin (itself or with its folder) and everything under it. */
  async purge(ownerId: string, id: string): Promise<void> {
    const contentIds = await this.db.transaction().execute(async (trx) => {
      await this.nodes.get(ownerId, id, trx);
      const chain = await chainOf(trx, ownerId, id);
      if (!chain.some((n) => n.trashed_at !== null)) throw conflict('the node is not in the bin');
      return this.deleteSubtrees(trx, ownerId, [id]);
    });
    await this.removeBlobs(contentIds);
  }

  /** Empties the bin: every node put there, with its subtree. */
  async empty(ownerId: string): Promise<void> {
    const contentIds = await this.db.transaction().execute(async (trx) => {
      const trashed = await this.nodes.listTrash(ownerId, trx);
      return this.deleteSubtrees(
        trx,
        ownerId,
        trashed.map((n) => n.id),
      );
    });
    await this.removeBlobs(contentIds);
  }

  /**
   * Deletes the nodes, their subtrees, their chunks, links to them and any upload still open into
   * one of their folders, and gives the bytes back to the account. Returns the content ids whose
   * blobs are now unreferenced.
   */
  private async deleteSubtrees(trx: Db, ownerId: string, roots: string[]): Promise<string[]> {
    const nodes: SubtreeNode[] = [];
    for (const batch of batches(roots)) {
      const { rows } = await sql<SubtreeNode>`
        WITH RECURSIVE subtree(id, depth) AS (
          SELECT id, 0 FROM nodes WHERE owner_id = ${ownerId} AND id IN (${sql.join(batch)})
          UNION ALL
          SELECT n.id, s.depth + 1 FROM nodes n JOIN subtree s ON n.parent_id = s.id
        )
        SELECT id, depth FROM subtree
      `.execute(trx);
      nodes.push(...rows);
    }
    if (nodes.length === 0) return [];
    const ids = nodes.map((n) => n.id);
    // Every delete returns what it removed, and only that is freed: a purge and a cancel (or two
    // purges) on two nodes at once each wait on the other's rows and then find them gone, so no
    // byte is given back twice.
    const uploads: { id: string; size: number }[] = [];
    for (const batch of batches(ids)) {
      uploads.push(
        ...(await trx
          .deleteFrom('uploads')
          .where('owner_id', '=', ownerId)
          .where('parent_id', 'in', batch)
          .returning(['id', 'size'])
          .execute()),
      );
    }
    for (const batch of batches(ids)) {
      await trx.deleteFrom('links').where('node_id', 'in', batch).execute();
    }
    // Deepest first, so no statement removes a folder whose children are still there.
    const deepestFirst = [...nodes].sort((a, b) => b.depth - a.depth).map((n) => n.id);
    const deleted: { content_id: string | null; size: number | null }[] = [];
    for (const batch of batches(deepestFirst)) {
      deleted.push(
        ...(await trx
          .deleteFrom('nodes')
          .where('id', 'in', batch)
          .returning(['content_id', 'size'])
          .execute()),
      );
    }
    const contentIds = [
      ...deleted.flatMap((n) => (n.content_id === null ? [] : [n.content_id])),
      ...uploads.map((u) => u.id),
    ];
    for (const batch of batches(contentIds)) {
      await trx.deleteFrom('chunks').where('content_id', 'in', batch).execute();
    }
    const freed =
      deleted.reduce((sum, n) => sum + (n.size ?? 0), 0) + uploads.reduce((s, u) => s + u.size, 0);
    await trx
      .updateTable('accounts')
      .set((eb) => ({ storage_used: eb('storage_used', '-', freed) }))
      .where('user_id', '=', ownerId)
      .execute();
    return contentIds;
  }

  private async removeBlobs(contentIds: string[]): Promise<void> {
    for (const contentId of contentIds) await this.blobs.removeContent(contentId);
  }
}
