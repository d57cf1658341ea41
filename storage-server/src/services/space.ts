import { sql } from 'kysely';
import type { UsageBreakdown } from '@coffre/core/protocol';
import type { Db } from '../db/database';

interface TopGroup {
  top: string;
  top_type: 'folder' | 'file';
  in_bin: number;
  bytes: number | null;
}

/** What uses an account's storage: each top folder, loose files, the bin, open uploads. */
export class Space {
  constructor(private readonly db: Db) {}

  async breakdown(ownerId: string): Promise<UsageBreakdown> {
    const { root_id: rootId } = await this.db
      .selectFrom('accounts')
      .select('root_id')
      .where('user_id', '=', ownerId)
      .executeTakeFirstOrThrow();
    // Every node below the root, tagged with the root child it sits under and whether it or an
    // ancestor is in the bin; committed bytes summed per tag.
    const { rows } = await sql<TopGroup>`
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
    const uploading = await this.db
      .selectFrom('uploads')
      .select((eb) => eb.fn.sum<number | null>('size').as('bytes'))
      .where('owner_id', '=', ownerId)
      .executeTakeFirstOrThrow();

    const folders: UsageBreakdown['folders'] = [];
    let files = 0;
    let trash = 0;
    for (const row of rows) {
      const bytes = Number(row.bytes ?? 0);
      if (row.in_bin) trash += bytes;
      else if (row.top_type === 'file') files += bytes;
      else folders.push({ nodeId: row.top, bytes });
    }
    // Largest first: the order a "what uses my space" list wants.
    folders.sort((a, b) => b.bytes - a.bytes || (a.nodeId < b.nodeId ? -1 : 1));
    return { folders, files, trash, uploading: Number(uploading.bytes ?? 0) };
  }
}
