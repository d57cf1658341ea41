// The recipient's side of a share link, for the link page: no account, no token. The link key is
// read from the URL fragment and checked (exact length and alphabet) before any request; it never
// leaves this page (not in a URL, header, body or Referer). Until `unlock` succeeds nothing but
// the link record is fetched. After that, the shared tree is verified exactly like the drive:
// every node below the root unwraps under its parent's key, every manifest must be signed by the
// owner's key that the link itself carries.
import { MAX_FOLDER_DEPTH, MAX_PREVIEW_BYTES, isId, parseLinkFragment } from '@coffre/core/format';
import {
  DOWNLOAD_GRANT_HEADER,
  LinkNodeList,
  LinkResponse,
  apiPath,
  type FileManifestResponse,
} from '@coffre/core/protocol';
import { Api } from '../platform/http-client';
import type { ChunkPeers, PeerFile } from '../downloads/chunk-peers';
import type { DriveNode, LinkSession } from '../contract';
import type { CryptoPool } from '../platform/crypto-pool';
import { coreCrypto } from '../platform/crypto-main';
import type { DownloadService } from '../downloads/download-service';
import { byTypeThenName, openChildren, toDriveNode, type KnownNode } from '../drive/drive-service';
import {
  InvalidRequestError,
  isIntegrityError,
  isTransferQuotaError,
  LinkError,
  NotFoundError,
  ServerError,
} from '../platform/errors';
import { fileAnswer, type FileSource } from '../downloads/file-source';
import { isRetryable } from '../platform/retry';
import type { LinkSwarm } from '../p2p/link-room/swarm';
import { readWholeFile } from '../downloads/verified-file';

/** Validates the link locally, then fetches its record; see LinkSession for the rest. */
export async function openLinkSession(
  pool: CryptoPool,
  downloads: DownloadService,
  linkId: string,
  fragment: string,
): Promise<LinkSession> {
  if (!isId(linkId)) throw new LinkError('malformed');
  let linkKey: string;
  try {
    linkKey = parseLinkFragment(fragment);
  } catch {
    throw new LinkError('malformed');
  }
  // Its own client: never the account's token, whoever is logged in on this device.
  const api = new Api();
  const record = await notFoundAsLinkError(() =>
    api.json('GET', apiPath.link(linkId), LinkResponse),
  );
  if (record.linkId !== linkId || record.type !== record.node.type)
    throw new LinkError('wrong-key');
  return new SharedTree(api, pool, downloads, linkKey, record);
}

class SharedTree implements LinkSession, FileSource {
  readonly linkId: string;
  readonly type: 'file' | 'folder';
  readonly needsPassword: boolean;
  private readonly known = new Map<string, KnownNode>();
  /** Children of each folder that failed verification at its last listing. */
  private readonly skipped = new Map<string, number>();
  private root: KnownNode | null = null;
  private signPublicKey: Uint8Array | null = null;
  /**
   * Per pass over a file (a download, a preview, a zip: one signal each), per file: the download
   * grant its chunk 0 was answered with. The server serves each chunk once per grant.
   */
  private readonly grants = new WeakMap<AbortSignal, Map<string, DownloadGrant>>();
  /** The link's peer room, joined once the link opened; null without a signal server. */
  private swarm: Promise<LinkSwarm | null> | null = null;
  private closed = false;

  constructor(
    private readonly api: Api,
    private readonly pool: CryptoPool,
    private readonly downloads: DownloadService,
    private readonly linkKey: string,
    private readonly record: LinkResponse,
  ) {
    this.linkId = record.linkId;
    this.type = record.type;
    this.needsPassword = record.kdf !== null;
  }

  async unlock(password: string | null): Promise<DriveNode> {
    if (this.root) return toDriveNode(this.root);
    if (this.needsPassword && !password) throw new LinkError('wrong-password');
    const { node, kdf, wrappedKey } = this.record;
    const input = {
      linkKey: this.linkKey,
      linkId: this.linkId,
      nodeId: node.id,
      type: node.type,
      wrappedKey,
      kdf,
      password: this.needsPassword ? password : null,
    };
    const core = await coreCrypto();
    let opened: { nodeKey: Uint8Array; signPublicKey: Uint8Array };
    try {
      opened = kdf === null ? core.openLink(input) : await this.pool.runIsolated('openLink', input);
    } catch (error) {
      if (!isIntegrityError(error)) throw error;
      throw new LinkError(this.needsPassword ? 'wrong-password' : 'wrong-key');
    }
    let meta;
    try {
      meta = core.openNodeMeta(node.id, node.parentId, node.type, opened.nodeKey, node.encMeta);
    } catch (error) {
      if (!isIntegrityError(error)) throw error;
      throw new LinkError('wrong-key');
    }
    this.signPublicKey = opened.signPublicKey;
    this.joinPeers();
    // The shared item is the root of this view: no parent, its creation time is not public.
    this.root = this.remember({
      id: node.id,
      parentId: null,
      type: node.type,
      key: opened.nodeKey,
      meta,
      createdAt: meta.mtime ?? 0,
    });
    return toDriveNode(this.root);
  }

  async list(folderId: string): Promise<DriveNode[]> {
    const folder = await this.node(folderId);
    if (folder.type !== 'folder') throw new InvalidRequestError({ key: 'not-a-folder' });
    const { nodes } = await notFoundAsLinkError(() =>
      this.api.json('GET', apiPath.linkChildren(this.linkId, folderId), LinkNodeList),
    );
    const { opened, dropped } = await openChildren(folder, nodes);
    this.skipped.set(folder.id, dropped);
    return opened.map((node) => toDriveNode(this.remember(node))).sort(byTypeThenName);
  }

  unverifiedCount(folderId: string): number {
    return this.skipped.get(folderId) ?? 0;
  }

  async path(folderId: string): Promise<DriveNode[]> {
    const chain: DriveNode[] = [];
    for (let node: KnownNode | undefined = await this.node(folderId); node;) {
      if (chain.length > MAX_FOLDER_DEPTH) throw new InvalidRequestError({ key: 'too-deep' });
      chain.unshift(toDriveNode(node));
      node = node.parentId === null ? undefined : this.known.get(node.parentId);
    }
    return chain;
  }

  download(nodeId: string): void {
    this.downloads.download(this, nodeId);
  }

  downloadZip(folderId: string): void {
    this.downloads.downloadZip(this, folderId);
  }

  preview(nodeId: string): Promise<Blob> {
    return readWholeFile(this, this.pool, nodeId, MAX_PREVIEW_BYTES);
  }

  close(): void {
    this.closed = true;
    void this.swarm?.then((swarm) => swarm?.close());
  }

  /**
   * Joins the link's room as soon as the link opened, so peers are connected by the time a
   * download starts. The code is loaded only then: a page without peers never fetches it.
   */
  private joinPeers(): void {
    this.swarm ??= import('../p2p/link-room/swarm')
      .then(({ LinkSwarm }) => LinkSwarm.open(this.linkKey))
      .then((swarm) => {
        if (this.closed) swarm?.close();
        return this.closed ? null : swarm;
      })
      .catch((error: unknown) => {
        console.warn('the link room could not be joined', error);
        return null;
      });
  }

  // FileSource: what downloads, zips and previews read through this link.

  /**
   * Peers are asked only once chunk 0's grant of the same pass arrived: a dead link gets nothing
   * from them.
   */
  async peers(file: PeerFile): Promise<ChunkPeers | null> {
    const swarm = await this.swarm;
    if (!swarm) return null;
    return swarm.forFile(file, (signal) => this.grant(signal, file.nodeId).wait(signal));
  }

  cached(nodeId: string): KnownNode | undefined {
    return this.known.get(nodeId);
  }

  /** Only nodes verified so far (the root, and what listings showed) can be asked for. */
  node(nodeId: string): Promise<KnownNode> {
    if (!this.root) return Promise.reject(new InvalidRequestError({ key: 'link-not-open' }));
    const node = this.known.get(nodeId);
    if (!node) return Promise.reject(new InvalidRequestError({ key: 'not-in-link' }));
    return Promise.resolve(node);
  }

  fileInfo(nodeId: string, count: number, signal: AbortSignal): Promise<FileManifestResponse> {
    return this.api.json('GET', apiPath.linkFile(this.linkId, nodeId), fileAnswer(count), {
      signal,
    });
  }

  /**
   * Chunk 0 of a file counts one download and is answered with a grant that the file's other
   * chunks of the same pass must carry (protocol.md, link downloads); later chunks wait for it,
   * also while chunk 0 is being retried or is paused by the owner's transfer quota. A retry within
   * the pass carries the same grant.
   */
  chunk(nodeId: string, index: number, maxBytes: number, signal: AbortSignal) {
    return this.fetchChunk(nodeId, index, maxBytes, signal, false);
  }

  private async fetchChunk(
    nodeId: string,
    index: number,
    maxBytes: number,
    signal: AbortSignal,
    renewed: boolean,
  ): Promise<ArrayBuffer> {
    const path = apiPath.linkFileChunk(this.linkId, nodeId, index);
    if (index !== 0 && this.grants.get(signal)?.get(nodeId) === undefined) {
      throw new InvalidRequestError({ key: 'link-first-chunk' });
    }
    const grant = this.grant(signal, nodeId);
    if (index === 0 && !grant.settled) {
      const pending = grant;
      try {
        return await this.api.bytes(path, maxBytes, signal, {
          onHeaders: (headers) => pending.settle(headers.get(DOWNLOAD_GRANT_HEADER)),
        });
      } catch (error) {
        // Chunk 0 will not be asked again: the chunks waiting for its grant give up too.
        if (!isRetryable(error) && !isTransferQuotaError(error) && !signal.aborted) {
          this.grants.get(signal)?.delete(nodeId);
          pending.fail(error);
        }
        throw error;
      }
    }
    const value = await grant.wait(signal);
    const headers: Record<string, string> = value ? { [DOWNLOAD_GRANT_HEADER]: value } : {};
    try {
      return await this.api.bytes(path, maxBytes, signal, { headers });
    } catch (error) {
      if (renewed || !(error instanceof ServerError && error.code === 'conflict')) throw error;
      // Sent already under this grant, says the server: it handed an earlier transfer's last byte
      // to a connection that was then cut. A new grant, counted as a download, carries on (once).
      this.renew(signal, nodeId, grant, index);
      return this.fetchChunk(nodeId, index, maxBytes, signal, true);
    }
  }

  signer(): Uint8Array {
    if (!this.signPublicKey) throw new InvalidRequestError({ key: 'link-not-open' });
    return this.signPublicKey;
  }

  /**
   * Replaces the pass's grant once the server refused a chunk as sent under it (chunks refused
   * together share one new grant). Chunk 0 then comes again whole; for any other chunk a request
   * for the first byte of chunk 0 takes the new grant.
   */
  private renew(signal: AbortSignal, nodeId: string, spent: DownloadGrant, index: number): void {
    const pass = this.grants.get(signal);
    if (pass === undefined || pass.get(nodeId) !== spent) return;
    const fresh = new DownloadGrant();
    pass.set(nodeId, fresh);
    if (index === 0) return;
    const path = apiPath.linkFileChunk(this.linkId, nodeId, 0);
    this.api
      .bytes(path, 1, signal, {
        headers: { range: 'bytes=0-0' },
        onHeaders: (headers) => fresh.settle(headers.get(DOWNLOAD_GRANT_HEADER)),
      })
      .catch((error: unknown) => {
        // The chunks waiting for it fail with this error; a retry of theirs renews again.
        if (pass.get(nodeId) === fresh) pass.set(nodeId, spent);
        fresh.fail(error);
      });
  }

  /** The grant of this pass over the file; chunk 0's request settles it. */
  private grant(signal: AbortSignal, nodeId: string): DownloadGrant {
    let pass = this.grants.get(signal);
    if (pass === undefined) {
      pass = new Map();
      this.grants.set(signal, pass);
    }
    let grant = pass.get(nodeId);
    if (grant === undefined) {
      grant = new DownloadGrant();
      pass.set(nodeId, grant);
    }
    return grant;
  }

  private remember(node: KnownNode): KnownNode {
    this.known.set(node.id, node);
    return node;
  }
}

/** A file's download grant, once chunk 0 was answered (null when the answer carried none). */
class DownloadGrant {
  settled = false;
  private readonly value: Promise<string | null>;
  private resolve: (grant: string | null) => void = () => {};
  private reject: (error: unknown) => void = () => {};

  constructor() {
    this.value = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A failure is reported to whoever waits; don't let it go unhandled when nobody does.
    this.value.catch(() => undefined);
  }

  settle(grant: string | null): void {
    this.settled = true;
    this.resolve(grant);
  }

  fail(error: unknown): void {
    this.reject(error);
  }

  /** The grant; rejects when the download is cancelled (or fails) first. */
  wait(signal: AbortSignal): Promise<string | null> {
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      const stop = (): void => reject(signal.reason);
      signal.addEventListener('abort', stop, { once: true });
      void this.value
        .finally(() => signal.removeEventListener('abort', stop))
        .then(resolve, reject);
    });
  }
}

/** The server answers 404 alike for unknown, expired, revoked and exhausted links. */
async function notFoundAsLinkError<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (error instanceof NotFoundError) throw new LinkError('not-found');
    throw error;
  }
}
