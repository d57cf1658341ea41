import type { FileManifestResponse } from '@coffre/core/protocol';
import { notFound } from '../api-error';
import type { Repositories } from '../repositories';
import type { CommittedFile } from '../repositories/nodes.repository';
import type { ChunkKey } from '../stores/blob-store';

export interface StoredChunk {
  key: ChunkKey;
  size: number;
}

/** Read access to committed file revisions (trashed files included: the bin can be opened). */
export class Files {
  constructor(private readonly repositories: Pick<Repositories, 'nodes' | 'chunks'>) {}

  async manifest(ownerId: string, nodeId: string): Promise<FileManifestResponse> {
    const file = await this.committed(ownerId, nodeId);
    const chunks = await this.repositories.chunks.list(file.content_id);
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
    const row = await this.repositories.chunks.find(file.content_id, index);
    if (!row) throw notFound('no such chunk');
    return {
      key: { contentId: file.content_id, index, chunkId: row.chunk_id },
      size: row.size,
    };
  }

  private async committed(ownerId: string, nodeId: string): Promise<CommittedFile> {
    const file = await this.repositories.nodes.committedFile(ownerId, nodeId);
    if (!file) throw notFound('no such file');
    return file;
  }
}
