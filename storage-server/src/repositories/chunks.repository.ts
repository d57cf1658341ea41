import type { Selectable } from 'kysely';
import type { Db } from '../db/database';
import type { ChunksTable } from '../db/schema';
import { batches } from './batches';

export type ChunkRow = Selectable<ChunksTable>;

/**
 * The chunks table: the chunks stored under a content id, which is an upload's id and, once it is
 * committed, the content of the file revision it became.
 */
export class ChunksRepository {
  constructor(private readonly db: Db) {}

  /** Every chunk of the content, in index order. */
  async list(contentId: string, db: Db = this.db): Promise<Omit<ChunkRow, 'content_id'>[]> {
    return db
      .selectFrom('chunks')
      .select(['idx', 'chunk_id', 'size'])
      .where('content_id', '=', contentId)
      .orderBy('idx')
      .execute();
  }

  /** The indices stored so far, in order. */
  async indices(contentId: string): Promise<number[]> {
    const rows = await this.db
      .selectFrom('chunks')
      .select('idx')
      .where('content_id', '=', contentId)
      .orderBy('idx')
      .execute();
    return rows.map((row) => row.idx);
  }

  async find(contentId: string, index: number) {
    return this.db
      .selectFrom('chunks')
      .select(['chunk_id', 'size'])
      .where('content_id', '=', contentId)
      .where('idx', '=', index)
      .executeTakeFirst();
  }

  /** Records the chunk at its index, in place of any before it; returns that one's id or null. */
  async put(chunk: ChunkRow, db: Db): Promise<string | null> {
    const before = await db
      .selectFrom('chunks')
      .select('chunk_id')
      .where('content_id', '=', chunk.content_id)
      .where('idx', '=', chunk.idx)
      .executeTakeFirst();
    if (before) {
      await db
        .updateTable('chunks')
        .set({ chunk_id: chunk.chunk_id, size: chunk.size })
        .where('content_id', '=', chunk.content_id)
        .where('idx', '=', chunk.idx)
        .execute();
    } else {
      await db
        .insertInto('chunks')
        .values({
          content_id: chunk.content_id,
          idx: chunk.idx,
          chunk_id: chunk.chunk_id,
          size: chunk.size,
        })
        .execute();
    }
    return before?.chunk_id ?? null;
  }

  /** Deletes every chunk of these contents. */
  async deleteContents(contentIds: string[], db: Db): Promise<void> {
    for (const batch of batches(contentIds)) {
      await db.deleteFrom('chunks').where('content_id', 'in', batch).execute();
    }
  }
}
