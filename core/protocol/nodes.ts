import { Type, type Static } from 'typebox';
import { MAX_LIST_NODES } from '../format';
import { ByteCount, Id, SealedKey, SealedMeta, Timestamp } from './common';

export const NodeType = Type.Union([Type.Literal('folder'), Type.Literal('file')]);
export type NodeType = Static<typeof NodeType>;

/** The committed revision of a file. `size` is the ciphertext total in bytes. */
export const FileRevision = Type.Object({
  revision: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  wrappedContentKey: SealedKey,
  size: ByteCount,
  chunkCount: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
});
export type FileRevision = Static<typeof FileRevision>;

/**
 * A folder or file as the server stores it. The root folder has no parent, no wrapped key (its key
 * lives in the account's bundle) and no metadata.
 */
export const Node = Type.Object({
  id: Id,
  parentId: Type.Union([Id, Type.Null()]),
  type: NodeType,
  wrappedKey: Type.Union([SealedKey, Type.Null()]),
  encMeta: Type.Union([SealedMeta, Type.Null()]),
  createdAt: Timestamp,
  trashedAt: Type.Union([Timestamp, Type.Null()]),
  file: Type.Union([FileRevision, Type.Null()]),
});
export type Node = Static<typeof Node>;

export const NodeList = Type.Object({ nodes: Type.Array(Node, { maxItems: MAX_LIST_NODES }) });
export type NodeList = Static<typeof NodeList>;

export const NodeResponse = Type.Object({ node: Node });
export type NodeResponse = Static<typeof NodeResponse>;

export const CreateFolderRequest = Type.Object(
  { id: Id, parentId: Id, wrappedKey: SealedKey, encMeta: SealedMeta },
  { additionalProperties: false },
);
export type CreateFolderRequest = Static<typeof CreateFolderRequest>;

/** Rename (new `encMeta`) and/or move (`parentId` with the key rewrapped for the new parent). */
export const UpdateNodeRequest = Type.Object(
  {
    encMeta: SealedMeta,
    parentId: Type.Optional(Id),
    wrappedKey: Type.Optional(SealedKey),
  },
  { additionalProperties: false },
);
export type UpdateNodeRequest = Static<typeof UpdateNodeRequest>;
