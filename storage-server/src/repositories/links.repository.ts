import type { Insertable, Selectable, Updateable } from 'kysely';
import type { LinkKdf } from '@coffre/core/protocol';
import type { Db } from '../db/database';
import type { LinksTable, NodesTable } from '../db/schema';
import { batches } from './batches';

/** A link with the type of the node it shares. */
export type LinkRow = Selectable<LinksTable> & { type: NodesTable['type'] };

export function kdfOf(row: LinkRow): LinkKdf {
  if (row.kdf_salt === null || row.kdf_opslimit === null || row.kdf_memlimit === null) return null;
  return {
    alg: 'argon2id13',
    salt: row.kdf_salt,
    opslimit: row.kdf_opslimit,
    memlimit: row.kdf_memlimit,
  };
}

export function kdfColumns(kdf: LinkKdf) {
  return {
    kdf_salt: kdf?.salt ?? null,
    kdf_opslimit: kdf?.opslimit ?? null,
    kdf_memlimit: kdf?.memlimit ?? null,
  };
}

/**
 * The links table: share links, each with its sealed wrappings, expiry and download count; and
 * the record of every link id the server drew.
 */
export class LinksRepository {
  constructor(private readonly db: Db) {}

  /** Records an id drawn for the owner; it waits until a link uses it. */
  async insertDrawnId(linkId: string, ownerId: string, now: number, db: Db): Promise<void> {
    await db
      .insertInto('link_ids')
      .values({ link_id: linkId, owner_id: ownerId, drawn_at: now, used_at: null })
      .execute();
  }

  /** Forgets the owner's waiting ids beyond the newest `keep`; used ones are kept for good. */
  async forgetWaitingIds(ownerId: string, keep: number, db: Db): Promise<void> {
    const waiting = await db
      .selectFrom('link_ids')
      .select('link_id')
      .where('owner_id', '=', ownerId)
      .where('used_at', 'is', null)
      .orderBy('drawn_at', 'desc')
      .orderBy('link_id', 'desc')
      .execute();
    const beyond = waiting.slice(keep).map((row) => row.link_id);
    for (const batch of batches(beyond)) {
      await db.deleteFrom('link_ids').where('link_id', 'in', batch).execute();
    }
  }

  /**
   * Marks an id drawn for the owner as used, only if it still waits: the condition is in the
   * UPDATE, so of two requests racing for one id only one can use it. False when nothing changed.
   */
  async useDrawnId(ownerId: string, linkId: string, now: number, db: Db): Promise<boolean> {
    const result = await db
      .updateTable('link_ids')
      .set({ used_at: now })
      .where('link_id', '=', linkId)
      .where('owner_id', '=', ownerId)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async insert(row: Insertable<LinksTable>, db: Db = this.db): Promise<void> {
    await db.insertInto('links').values(row).execute();
  }

  async find(linkId: string): Promise<LinkRow | undefined> {
    return this.selectLinks(this.db).where('links.link_id', '=', linkId).executeTakeFirst();
  }

  async findOwned(ownerId: string, linkId: string, db: Db = this.db) {
    return this.selectLinks(db)
      .where('links.link_id', '=', linkId)
      .where('links.owner_id', '=', ownerId)
      .executeTakeFirst();
  }

  /** Every link of the owner, newest first. */
  async listOwned(ownerId: string): Promise<LinkRow[]> {
    return this.selectLinks(this.db)
      .where('links.owner_id', '=', ownerId)
      .orderBy('links.created_at', 'desc')
      .orderBy('links.link_id', 'desc')
      .execute();
  }

  async update(linkId: string, changes: Updateable<LinksTable>, db: Db = this.db): Promise<void> {
    await db.updateTable('links').set(changes).where('link_id', '=', linkId).execute();
  }

  /** False when the owner has no link of this id. */
  async delete(ownerId: string, linkId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('links')
      .where('link_id', '=', linkId)
      .where('owner_id', '=', ownerId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** Deletes every link to any of these nodes. */
  async deleteForNodes(nodeIds: string[], db: Db): Promise<void> {
    for (const batch of batches(nodeIds)) {
      await db.deleteFrom('links').where('node_id', 'in', batch).execute();
    }
  }

  /**
   * Adds one download only while the link is within its limit and has not expired by `now`. The
   * condition is in the UPDATE itself, so parallel requests can never push the count past the
   * limit. False when nothing was counted.
   */
  async countDownload(linkId: string, now: number, db: Db = this.db): Promise<boolean> {
    const result = await db
      .updateTable('links')
      .set((eb) => ({ downloads: eb('downloads', '+', 1) }))
      .where('link_id', '=', linkId)
      .where((eb) =>
        eb.and([
          eb.or([eb('download_limit', 'is', null), eb('downloads', '<', eb.ref('download_limit'))]),
          eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]),
        ]),
      )
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  private selectLinks(db: Db) {
    return db
      .selectFrom('links')
      .innerJoin('nodes', 'nodes.id', 'links.node_id')
      .selectAll('links')
      .select('nodes.type');
  }
}
