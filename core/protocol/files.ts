import { Type, type Static } from 'typebox';
import { CHUNK_OVERHEAD, MAX_CHUNK_CIPHER_SIZE, MAX_CHUNKS, MAX_SEALED_MANIFEST } from '../format';
import { Base64Url, ByteCount, ChunkId, Id, SealedKey } from './common';
import { ChunkIndex } from './uploads';

export const ChunkInfo = Type.Object({
  index: ChunkIndex,
  id: ChunkId,
  size: Type.Integer({ minimum: CHUNK_OVERHEAD, maximum: MAX_CHUNK_CIPHER_SIZE }),
});
export type ChunkInfo = Static<typeof ChunkInfo>;

/** The committed revision of a file: everything a reader needs before fetching chunks. */
export const FileManifestResponse = Type.Object({
  nodeId: Id,
  revision: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  wrappedContentKey: SealedKey,
  manifest: Base64Url(CHUNK_OVERHEAD, MAX_SEALED_MANIFEST),
  size: ByteCount,
  chunks: Type.Array(ChunkInfo, { minItems: 1, maxItems: MAX_CHUNKS }),
});
export type FileManifestResponse = Static<typeof FileManifestResponse>;
