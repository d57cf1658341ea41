import type { Insertable, Selectable } from 'kysely';
import type { Db } from '../db/database';
import type { DownloadGrantChunksTable, DownloadGrantsTable } from '../db/schema';

export type DownloadGrantRow = Selectable<DownloadGrantsTable>;
export type GrantChunkRow = Selectable<DownloadGrantChunksTable>;

/** The download_grants table and the chunks each grant's pass has taken. */
export class DownloadGrantsRepository {
  constructor(private readonly db: Db) {}

  async insert(row: Insertable<DownloadGrantsTable>, db: Db): Promise<void> {
    await db.insertInto('download_grants').values(row).execute();
  }

  async find(id: string): Promise<DownloadGrantRow | undefined> {
    return this.db
      .selectFrom('download_grants')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** Deletes the link's grants that expired by `now`, with the chunks they took. */
  async deleteExpired(linkId: string, now: number, db: Db): Promise<void> {
    await db
      .deleteFrom('download_grants')
      .where('link_id', '=', linkId)
      .where('expires_at', '<=', now)
      .execute();
  }

  /** Takes a chunk no response of this grant has taken yet. False when one has. */
  async insertChunk(row: GrantChunkRow, db: Db = this.db): Promise<boolean> {
    const result = await db
      .insertInto('download_grant_chunks')
      .values(row)
      .onConflict((oc) => oc.columns(['grant_id', 'idx']).doNothing())
      .executeTakeFirst();
    return result.numInsertedOrUpdatedRows !== 0n;
  }

  /**
   * Takes a chunk over from a response whose hold lapsed by `now` (its process died), in one
   * conditional UPDATE. False when the chunk was sent in full or is still held.
   */
  async takeOverLapsed(row: GrantChunkRow, now: number, db: Db = this.db): Promise<boolean> {
    const result = await db
      .updateTable('download_grant_chunks')
      .set({ claim_id: row.claim_id, held_until: row.held_until })
      .where('grant_id', '=', row.grant_id)
      .where('idx', '=', row.idx)
      .where('held_until', 'is not', null)
      .where('held_until', '<=', now)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async findChunk(grantId: string, index: number, db: Db = this.db) {
    return db
      .selectFrom('download_grant_chunks')
      .selectAll()
      .where('grant_id', '=', grantId)
      .where('idx', '=', index)
      .executeTakeFirst();
  }

  /** The chunk was sent in full by the response that holds it. */
  async markSent(grantId: string, index: number, claimId: string): Promise<void> {
    await this.db
      .updateTable('download_grant_chunks')
      .set({ held_until: null })
      .where('grant_id', '=', grantId)
      .where('idx', '=', index)
      .where('claim_id', '=', claimId)
      .execute();
  }

  /** The response that holds the chunk ended short: the chunk may be taken again. */
  async release(grantId: string, index: number, claimId: string): Promise<void> {
    await this.db
      .deleteFrom('download_grant_chunks')
      .where('grant_id', '=', grantId)
      .where('idx', '=', index)
      .where('claim_id', '=', claimId)
      .execute();
  }
}
