import type { Selectable } from 'kysely';
import type { Db } from '../db/database';
import type { UploadsTable } from '../db/schema';
import { batches } from './batches';

export type UploadRow = Selectable<UploadsTable>;

/** The uploads table: open upload sessions and the storage each one has reserved. */
export class UploadsRepository {
  constructor(private readonly db: Db) {}

  async insert(row: UploadRow, db: Db = this.db): Promise<void> {
    await db.insertInto('uploads').values(row).execute();
  }

  /** The owner's upload of this id, if it has not expired by `now`. */
  async findLive(
    ownerId: string,
    id: string,
    now: number,
    db: Db = this.db,
  ): Promise<UploadRow | undefined> {
    return db
      .selectFrom('uploads')
      .selectAll()
      .where('id', '=', id)
      .where('owner_id', '=', ownerId)
      .where('expires_at', '>', now)
      .executeTakeFirst();
  }

  /** Whether an upload, expired or not, has this id. */
  async exists(id: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('uploads')
      .select('id')
      .where('id', '=', id)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Whether an upload will create the node of this id. */
  async holdsNode(nodeId: string, db: Db = this.db): Promise<boolean> {
    const row = await db
      .selectFrom('uploads')
      .select('id')
      .where('node_id', '=', nodeId)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Writes to the upload's row without changing it, which locks the row until the transaction
   * ends (PostgreSQL; SQLite runs one writer at a time anyway). False when the upload is gone.
   */
  async lock(id: string, db: Db): Promise<boolean> {
    const live = await db
      .updateTable('uploads')
      .set((eb) => ({ expires_at: eb.ref('expires_at') }))
      .where('id', '=', id)
      .executeTakeFirst();
    return live.numUpdatedRows > 0n;
  }

  /** Deletes the owner's upload if it has not expired by `now`, and returns it. */
  async takeLive(ownerId: string, id: string, now: number, db: Db): Promise<UploadRow | undefined> {
    return db
      .deleteFrom('uploads')
      .where('id', '=', id)
      .where('owner_id', '=', ownerId)
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
  }

  /** Deletes the upload; returns whose it was and what it reserved, or undefined if it was gone. */
  async delete(id: string, db: Db) {
    return db
      .deleteFrom('uploads')
      .where('id', '=', id)
      .returning(['owner_id', 'size'])
      .executeTakeFirst();
  }

  /** Deletes the owner's uploads into any of these folders; returns each one's id and size. */
  async deleteInFolders(ownerId: string, folderIds: string[], db: Db) {
    const deleted: { id: string; size: number }[] = [];
    for (const batch of batches(folderIds)) {
      deleted.push(
        ...(await db
          .deleteFrom('uploads')
          .where('owner_id', '=', ownerId)
          .where('parent_id', 'in', batch)
          .returning(['id', 'size'])
          .execute()),
      );
    }
    return deleted;
  }

  /** The ids of every upload expired by `now`. */
  async expiredIds(now: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('uploads')
      .select('id')
      .where('expires_at', '<=', now)
      .execute();
    return rows.map((row) => row.id);
  }

  /** What the owner's open uploads have reserved, in bytes. */
  async reservedBytes(ownerId: string): Promise<number> {
    const row = await this.db
      .selectFrom('uploads')
      .select((eb) => eb.fn.sum<number | null>('size').as('bytes'))
      .where('owner_id', '=', ownerId)
      .executeTakeFirstOrThrow();
    return Number(row.bytes ?? 0);
  }
}
