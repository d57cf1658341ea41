// Where a download reads from: the owner's drive or a share link. Single downloads, zips and
// previews verify and decrypt the same way whichever it is; only the requests and the signer
// every manifest must carry differ.
import { Type } from 'typebox';
import { CHUNK_OVERHEAD, maxSealedManifestSize } from '@coffre/core/format';
import { Base64Url, ChunkInfo, FileManifestResponse, apiPath } from '@coffre/core/protocol';
import type { OpenSession } from '../account/account-service';
import type { Api } from '../platform/http-client';
import type { ChunkPeers, PeerFile } from './chunk-peers';
import type { DriveNode } from '../contract';
import type { DriveService, KnownNode } from '../drive/drive-service';

export interface FileSource {
  /** The node if it was verified already (no request), for a transfer's first label. */
  cached(nodeId: string): KnownNode | undefined;
  /** A node verified down its key chain. */
  node(nodeId: string): Promise<KnownNode>;
  /** A folder's verified children (those that fail verification are left out). */
  list(folderId: string): Promise<DriveNode[]>;
  /**
   * The file's committed revision as the server sends it, for a file of `count` chunks (from its
   * sealed size): an answer of another count or over that count's size is refused (fileAnswer).
   * The caller verifies the rest.
   */
  fileInfo(nodeId: string, count: number, signal: AbortSignal): Promise<FileManifestResponse>;
  /** One chunk's ciphertext, refusing more than `maxBytes`. */
  chunk(nodeId: string, index: number, maxBytes: number, signal: AbortSignal): Promise<ArrayBuffer>;
  /** The Ed25519 key every manifest must be signed with. */
  signer(): Uint8Array;
  /** Peers that may hold this file's chunks (a share link's room), or null: the server only. */
  peers?(file: PeerFile): Promise<ChunkPeers | null>;
}

/**
 * The answer about a file of `count` chunks: exactly that many in its listing, and a sealed
 * manifest within that count's bound (format.md §8), so the largest answer a server may send
 * follows from the count (protocol.md, "Answer sizes") and nothing past it is read.
 */
export function fileAnswer(count: number) {
  return Type.Object({
    ...FileManifestResponse.properties,
    manifest: Base64Url(CHUNK_OVERHEAD, maxSealedManifestSize(count)),
    chunks: Type.Array(ChunkInfo, { minItems: count, maxItems: count }),
  });
}

/** The owner's own drive: manifests must be signed by this account. */
export function driveSource(api: Api, drive: DriveService, session: () => OpenSession): FileSource {
  return {
    cached: (nodeId) => drive.cached(nodeId),
    node: (nodeId) => drive.resolve(nodeId),
    list: (folderId) => drive.list(folderId),
    fileInfo: (nodeId, count, signal) =>
      api.json('GET', apiPath.file(nodeId), fileAnswer(count), { signal }),
    chunk: (nodeId, index, maxBytes, signal) =>
      api.bytes(apiPath.fileChunk(nodeId, index), maxBytes, signal),
    signer: () => session().keys.signPublicKey,
  };
}
