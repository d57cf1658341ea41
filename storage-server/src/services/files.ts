import type { FileManifestResponse } from '@coffre/core/protocol';
import { notFound } from '../api-error';
import type { Db } from '../db/database';
import type { ChunkKey } from '../stores/blob-store';

export interface StoredChunk {
  key: ChunkKey;
  size: number;
}

/** Read access to committed file revisions (trashed files included: the bin can be opened). */
export class Files {
  constructor(private readonly db: Db) {}

  async manifest(ownerId: string, nodeId: string): Promise<FileManifestResponse> {
    const file = await this.committed(ownerId, nodeId);
    const chunks = await this.db
      .selectFrom('chunks')
      .select(['idx', 'chunk_id', 'size'])
      .where('content_id', '=', file.content_id)
      .orderBy('idx')
      .execute();
    return {
      nodeId,
      revision: file.revision,
      wrappedContentKey: file.wrapped_content_key,
      manifest: file.manifest,
      size: file.size,
      chunks: chunks.map((c) => ({ index: c.idx, id: c.chunk_id, size: c.size })),
    };
  }

  async chunk(ownerId: string, nodeId: string, index: number): Promise<StoredChunk> {
    const file = await this.committed(ownerId, nodeId);
    const row = await this.db
      .selectFrom('chunks')
      .select(['chunk_id', 'size'])
      .where('content_id', '=', file.content_id)
      .where('idx', '=', index)
      .executeTakeFirst();
    if (!row) throw notFound('no such chunk');
    return {
      key: { contentId: file.content_id, index, chunkId: row.chunk_id },
      size: row.size,
    };
  }

  private async committed(ownerId: string, nodeId: string) {
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
      throw notFound('no such file');
    }
    return {
      revision: row.revision,
      wrapped_content_key: row.wrapped_content_key,
      manifest: row.manifest,
      size: row.size,
      content_id: row.content_id,
    };
  }
}
