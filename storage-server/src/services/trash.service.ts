import { conflict } from '../api-error';
import type { Db } from '../db/database';
import type { Repositories } from '../repositories';
import type { BlobStore } from '../stores/blob-store';
import type { Nodes } from './nodes.service';

/**
 * Purging the bin: the rows go in one transaction that frees the storage, then the blobs. A crash
 * between the two leaves only unreferenced chunk directories, which start-up removes.
 */
export class Trash {
  constructor(
    private readonly db: Db,
    private readonly repositories: Pick<
      Repositories,
      'accounts' | 'nodes' | 'uploads' | 'chunks' | 'links'
    >,
    private readonly blobs: BlobStore,
    private readonly nodes: Nodes,
  ) {}

  /** Deletes for good a node in the bin (itself or with its folder) and everything under it. */
  async purge(ownerId: string, id: string): Promise<void> {
    const contentIds = await this.db.transaction().execute(async (trx) => {
      await this.nodes.get(ownerId, id, trx);
      if (!(await this.nodes.isInBin(ownerId, id, trx)))
        throw conflict('the node is not in the bin');
      return this.deleteSubtrees(trx, ownerId, [id]);
    });
    await this.removeBlobs(contentIds);
  }

  /** Empties the bin: every node put there, with its subtree. */
  async empty(ownerId: string): Promise<void> {
    const contentIds = await this.db.transaction().execute(async (trx) => {
      const trashed = await this.repositories.nodes.binned(ownerId, trx);
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
    const { accounts, nodes, uploads, chunks, links } = this.repositories;
    const subtrees = await nodes.subtrees(ownerId, roots, trx);
    if (subtrees.length === 0) return [];
    const ids = subtrees.map((n) => n.id);
    // Every delete returns what it removed, and only that is freed: a purge and a cancel (or two
    // purges) on two nodes at once each wait on the other's rows and then find them gone, so no
    // byte is given back twice.
    const cancelled = await uploads.deleteInFolders(ownerId, ids, trx);
    await links.deleteForNodes(ids, trx);
    const deleted = await nodes.deleteSubtrees(subtrees, trx);
    const contentIds = [
      ...deleted.flatMap((n) => (n.content_id === null ? [] : [n.content_id])),
      ...cancelled.map((u) => u.id),
    ];
    await chunks.deleteContents(contentIds, trx);
    const freed =
      deleted.reduce((sum, n) => sum + (n.size ?? 0), 0) +
      cancelled.reduce((s, u) => s + u.size, 0);
    await accounts.releaseStorage(ownerId, freed, trx);
    return contentIds;
  }

  private async removeBlobs(contentIds: string[]): Promise<void> {
    for (const contentId of contentIds) await this.blobs.removeContent(contentId);
  }
}
