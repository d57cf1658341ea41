import { Type, type Static } from 'typebox';
import { Kdf } from './auth';
import { LINK_OWNER_KEY_BYTES, LINK_WRAPPED_KEY_BYTES, MAX_LIST_NODES } from '../format';
import { Base64UrlExact, ByteCount, Id, SealedKey, SealedMeta, Timestamp } from './common';
import { FileRevision, NodeType } from './nodes';
import { ChunkIndexParam } from './uploads';

/** The node key and the owner's signing public key, sealed under the link's K. */
export const LinkWrappedKey = Base64UrlExact(LINK_WRAPPED_KEY_BYTES);
/** The link key sealed under the owner's master key, for the owner's other devices. */
export const LinkOwnerKey = Base64UrlExact(LINK_OWNER_KEY_BYTES);

/**
 * Sent back with a counted download (its chunk 0); sending it with the file's other chunks lets
 * that download finish even though it used up the link's download limit. One grant is one pass:
 * each chunk is sent in full once under it, and a chunk whose transfer was cut may be asked again.
 */
export const DOWNLOAD_GRANT_HEADER = 'coffre-download-grant';

/** Argon2id parameters of a password link (same floor as an account's), or null without one. */
export const LinkKdf = Type.Union([Kdf, Type.Null()]);
export type LinkKdf = Static<typeof LinkKdf>;

/** At least one download; null: no limit. */
export const DownloadLimit = Type.Union([
  Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  Type.Null(),
]);

/** ms since the epoch, in the future when set; null: never expires. */
export const LinkExpiry = Type.Union([Timestamp, Type.Null()]);

/** A link as its owner sees it: everything needed to show it again, options and download count. */
export const OwnerLink = Type.Object({
  linkId: Id,
  nodeId: Id,
  type: NodeType,
  wrappedKey: LinkWrappedKey,
  ownerKey: LinkOwnerKey,
  kdf: LinkKdf,
  expiresAt: LinkExpiry,
  downloadLimit: DownloadLimit,
  downloads: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  createdAt: Timestamp,
});
export type OwnerLink = Static<typeof OwnerLink>;

export const OwnerLinkResponse = Type.Object({ link: OwnerLink });
export type OwnerLinkResponse = Static<typeof OwnerLinkResponse>;

export const OwnerLinkList = Type.Object({
  links: Type.Array(OwnerLink, { maxItems: MAX_LIST_NODES }),
});
export type OwnerLinkList = Static<typeof OwnerLinkList>;

/** An id the server drew for a link the caller is about to create (protocol.md, share links). */
export const LinkIdResponse = Type.Object({ linkId: Id });
export type LinkIdResponse = Static<typeof LinkIdResponse>;

/** `linkId`: one the server drew for the caller and no link has used. */
export const CreateLinkRequest = Type.Object(
  {
    linkId: Id,
    nodeId: Id,
    wrappedKey: LinkWrappedKey,
    ownerKey: LinkOwnerKey,
    kdf: LinkKdf,
    expiresAt: LinkExpiry,
    downloadLimit: DownloadLimit,
  },
  { additionalProperties: false },
);
export type CreateLinkRequest = Static<typeof CreateLinkRequest>;

/** A password set, changed or removed: the node key wrapped again, with fresh KDF parameters. */
export const LinkPasswordChange = Type.Object(
  { wrappedKey: LinkWrappedKey, kdf: LinkKdf },
  { additionalProperties: false },
);
export type LinkPasswordChange = Static<typeof LinkPasswordChange>;

/** Only the fields present change. */
export const UpdateLinkRequest = Type.Object(
  {
    expiresAt: Type.Optional(LinkExpiry),
    downloadLimit: Type.Optional(DownloadLimit),
    password: Type.Optional(LinkPasswordChange),
  },
  { additionalProperties: false },
);
export type UpdateLinkRequest = Static<typeof UpdateLinkRequest>;

/** The shared node itself: its key comes from the link, so no wrapped key here. */
export const LinkRootNode = Type.Object({
  id: Id,
  parentId: Id,
  type: NodeType,
  encMeta: SealedMeta,
  file: Type.Union([
    Type.Object({
      size: ByteCount,
      chunkCount: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    }),
    Type.Null(),
  ]),
});
export type LinkRootNode = Static<typeof LinkRootNode>;

/** What anyone holding the link id gets: useless without the link key (and password). */
export const LinkResponse = Type.Object({
  linkId: Id,
  type: NodeType,
  wrappedKey: LinkWrappedKey,
  kdf: LinkKdf,
  node: LinkRootNode,
});
export type LinkResponse = Static<typeof LinkResponse>;

/** A node below a shared folder: a Node without `trashedAt` (nothing in the bin is shown). */
export const LinkNode = Type.Object({
  id: Id,
  parentId: Id,
  type: NodeType,
  wrappedKey: SealedKey,
  encMeta: SealedMeta,
  createdAt: Timestamp,
  file: Type.Union([FileRevision, Type.Null()]),
});
export type LinkNode = Static<typeof LinkNode>;

export const LinkNodeList = Type.Object({
  nodes: Type.Array(LinkNode, { maxItems: MAX_LIST_NODES }),
});
export type LinkNodeList = Static<typeof LinkNodeList>;

export const LinkParams = Type.Object({ linkId: Id }, { additionalProperties: false });
export type LinkParams = Static<typeof LinkParams>;

export const LinkNodeParams = Type.Object(
  { linkId: Id, nodeId: Id },
  { additionalProperties: false },
);
export type LinkNodeParams = Static<typeof LinkNodeParams>;

export const LinkChunkParams = Type.Object(
  { linkId: Id, nodeId: Id, index: ChunkIndexParam },
  { additionalProperties: false },
);
export type LinkChunkParams = Static<typeof LinkChunkParams>;
