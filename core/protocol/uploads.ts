import { Type, type Static } from 'typebox';
import {
  CHUNK_OVERHEAD,
  MAX_CHUNK_CIPHER_SIZE,
  MAX_CHUNKS,
  MAX_SEALED_MANIFEST,
  MAX_UPLOAD_SIZE,
} from '../format';
import { Base64Url, ByteCount, ChunkId, Id, SealedKey, SealedMeta, Timestamp } from './common';

/** The header that carries a chunk's SHA-256 (base64url) on upload. */
export const CHUNK_SHA256_HEADER = 'coffre-chunk-sha256';

export const ChunkIndex = Type.Integer({ minimum: 0, maximum: MAX_CHUNKS - 1 });

/** A chunk index in a URL: canonical decimal only, so `01`, `1e3` or `+1` are refused. */
export const ChunkIndexParam = Type.String({ pattern: '^(0|[1-9][0-9]{0,9})$', maxLength: 10 });

export const ChunkParams = Type.Object(
  { id: Id, index: ChunkIndexParam },
  { additionalProperties: false },
);
export type ChunkParams = Static<typeof ChunkParams>;

export const CreateUploadRequest = Type.Object(
  {
    nodeId: Id,
    parentId: Id,
    wrappedKey: SealedKey,
    encMeta: SealedMeta,
    revision: Type.Literal(1),
    wrappedContentKey: SealedKey,
    /** Total ciphertext bytes of all chunks; reserved against the account's storage. */
    size: Type.Integer({ minimum: 0, maximum: MAX_UPLOAD_SIZE }),
    chunkCount: Type.Integer({ minimum: 1, maximum: MAX_CHUNKS }),
  },
  { additionalProperties: false },
);
export type CreateUploadRequest = Static<typeof CreateUploadRequest>;

export const CreateUploadResponse = Type.Object({ uploadId: Id, expiresAt: Timestamp });
export type CreateUploadResponse = Static<typeof CreateUploadResponse>;

export const UploadStatus = Type.Object({
  uploadId: Id,
  nodeId: Id,
  chunkCount: Type.Integer({ minimum: 1, maximum: MAX_CHUNKS }),
  size: ByteCount,
  /** Indices of the chunks the server holds, ascending. */
  received: Type.Array(ChunkIndex, { maxItems: MAX_CHUNKS }),
  expiresAt: Timestamp,
});
export type UploadStatus = Static<typeof UploadStatus>;

/** Answer of a chunk PUT: 201 when stored, 200 when the same chunk was already there. */
export const ChunkReceipt = Type.Object({
  index: ChunkIndex,
  id: ChunkId,
  size: Type.Integer({ minimum: CHUNK_OVERHEAD, maximum: MAX_CHUNK_CIPHER_SIZE }),
});
export type ChunkReceipt = Static<typeof ChunkReceipt>;

export const CommitUploadRequest = Type.Object(
  {
    manifest: Base64Url(CHUNK_OVERHEAD, MAX_SEALED_MANIFEST),
    /** Chunk ids in index order; must equal what the server received. */
    chunks: Type.Array(ChunkId, { minItems: 1, maxItems: MAX_CHUNKS }),
  },
  { additionalProperties: false },
);
export type CommitUploadRequest = Static<typeof CommitUploadRequest>;
