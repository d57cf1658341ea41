import type {
  CreateLinkRequest,
  LinkNode,
  LinkResponse,
  Node,
  OwnerLink,
  UpdateLinkRequest,
} from '@coffre/core/protocol';
import { badRequest, conflict, notFound } from '../api-error';
import type { Db } from '../db/database';
import type { Repositories } from '../repositories';
import { kdfColumns, kdfOf, type LinkRow } from '../repositories/links.repository';
import { randomId } from './hashing';
import { inBin, nodeOf, type Nodes } from './nodes.service';

/**
 * One answer for every link that cannot be used (unknown, expired, revoked, exhausted, in the
 * bin) and every node outside it, so nothing tells which case it is.
 */
export const linkNotFound = () => notFound('link not found');

/** Ids an account may have drawn and not used yet; a further draw forgets the oldest. */
export const LINK_ID_DRAWS_WAITING = 16;

function ownerLinkOf(row: LinkRow): OwnerLink {
  return {
    linkId: row.link_id,
    nodeId: row.node_id,
    type: row.type,
    wrappedKey: row.wrapped_key,
    ownerKey: row.owner_key,
    kdf: kdfOf(row),
    expiresAt: row.expires_at,
    downloadLimit: row.download_limit,
    downloads: row.downloads,
    createdAt: row.created_at,
  };
}

/** A node below the shared one as a link shows it; only the root lacks parent, key and name. */
function linkNodeOf(node: Node): LinkNode {
  if (node.parentId === null || node.wrappedKey === null || node.encMeta === null) {
    throw linkNotFound();
  }
  return {
    id: node.id,
    parentId: node.parentId,
    type: node.type,
    wrappedKey: node.wrappedKey,
    encMeta: node.encMeta,
    createdAt: node.createdAt,
    file: node.file,
  };
}

/** Share links: the owner's records, and what an anonymous holder of a link id may reach. */
export class Links {
  constructor(
    private readonly db: Db,
    private readonly repositories: Pick<Repositories, 'links' | 'nodes'>,
    private readonly nodes: Nodes,
    private readonly now: () => number,
  ) {}

  /**
   * A fresh id for a link the owner is about to create. Only the server draws link ids, and it
   * keeps every one it drew, so an id names one link once, for good (format.md §11.1).
   */
  async drawId(ownerId: string): Promise<string> {
    return this.db.transaction().execute(async (trx) => {
      const { links } = this.repositories;
      const linkId = randomId();
      await links.insertDrawnId(linkId, ownerId, this.now(), trx);
      await links.forgetWaitingIds(ownerId, LINK_ID_DRAWS_WAITING, trx);
      return linkId;
    });
  }

  async create(ownerId: string, request: CreateLinkRequest): Promise<OwnerLink> {
    this.requireFuture(request.expiresAt);
    return this.db.transaction().execute(async (trx) => {
      const { links } = this.repositories;
      const node = await this.nodes.get(ownerId, request.nodeId, trx);
      if (node.parent_id === null) throw conflict('the root folder cannot be shared');
      if (await this.nodes.isInBin(ownerId, request.nodeId, trx)) {
        throw conflict('the node is in the bin');
      }
      // One answer for every id but one the owner drew and has not used: someone else's, revoked,
      // used already or never drawn, nothing tells them apart.
      if (!(await links.useDrawnId(ownerId, request.linkId, this.now(), trx))) {
        throw notFound('no such link id');
      }
      const row = {
        link_id: request.linkId,
        owner_id: ownerId,
        node_id: request.nodeId,
        wrapped_key: request.wrappedKey,
        owner_key: request.ownerKey,
        ...kdfColumns(request.kdf),
        expires_at: request.expiresAt,
        download_limit: request.downloadLimit,
        created_at: this.now(),
      };
      await links.insert(row, trx);
      return ownerLinkOf(await this.owned(ownerId, request.linkId, trx));
    });
  }

  /** Every link of the owner, usable or not, newest first. */
  async list(ownerId: string): Promise<OwnerLink[]> {
    return (await this.repositories.links.listOwned(ownerId)).map(ownerLinkOf);
  }

  async update(ownerId: string, linkId: string, request: UpdateLinkRequest): Promise<OwnerLink> {
    if (request.expiresAt !== undefined) this.requireFuture(request.expiresAt);
    return this.db.transaction().execute(async (trx) => {
      await this.owned(ownerId, linkId, trx);
      const { password } = request;
      const changes = {
        ...(request.expiresAt !== undefined ? { expires_at: request.expiresAt } : {}),
        ...(request.downloadLimit !== undefined ? { download_limit: request.downloadLimit } : {}),
        ...(password ? { wrapped_key: password.wrappedKey, ...kdfColumns(password.kdf) } : {}),
      };
      if (Object.keys(changes).length > 0) {
        await this.repositories.links.update(linkId, changes, trx);
      }
      return ownerLinkOf(await this.owned(ownerId, linkId, trx));
    });
  }

  /** The row goes: the id then answers like one that never existed, and is never used again. */
  async revoke(ownerId: string, linkId: string): Promise<void> {
    if (!(await this.repositories.links.delete(ownerId, linkId))) throw notFound('no such link');
  }

  /** The anonymous view of a link: its wrapped key and the shared node. */
  async open(linkId: string): Promise<LinkResponse> {
    const link = await this.usable(linkId);
    const node = await this.reachable(link, link.node_id);
    if (node.parent_id === null || node.enc_meta === null) throw linkNotFound();
    return {
      linkId: link.link_id,
      type: link.type,
      wrappedKey: link.wrapped_key,
      kdf: kdfOf(link),
      node: {
        id: node.id,
        parentId: node.parent_id,
        type: node.type,
        encMeta: node.enc_meta,
        file:
          node.size !== null && node.chunk_count !== null
            ? { size: node.size, chunkCount: node.chunk_count }
            : null,
      },
    };
  }

  /** A folder's children, for the shared folder and any folder below it. */
  async children(linkId: string, folderId: string): Promise<LinkNode[]> {
    const link = await this.usable(linkId);
    const folder = await this.reachable(link, folderId);
    if (folder.type !== 'folder') throw linkNotFound();
    const rows = await this.repositories.nodes.children(link.owner_id, folderId);
    return rows.map((row) => linkNodeOf(nodeOf(row)));
  }

  /**
   * The owner of a file the link reaches, whose files service answers for it. `pastLimit`: the
   * caller holds a download grant for this file, so an exhausted link still serves it.
   */
  async fileOwner(linkId: string, fileId: string, pastLimit = false): Promise<string> {
    const link = await this.usable(linkId, pastLimit);
    const node = await this.reachable(link, fileId);
    if (node.type !== 'file') throw linkNotFound();
    return link.owner_id;
  }

  /**
   * Counts one download, only while the link is still usable. The condition is in the counting
   * UPDATE itself, so parallel requests can never push the count past the limit.
   */
  async countDownload(linkId: string, db?: Db): Promise<void> {
    if (!(await this.repositories.links.countDownload(linkId, this.now(), db))) {
      throw linkNotFound();
    }
  }

  private requireFuture(expiresAt: number | null): void {
    if (expiresAt !== null && expiresAt <= this.now()) {
      throw badRequest('expiresAt must be in the future');
    }
  }

  private async owned(ownerId: string, linkId: string, db: Db): Promise<LinkRow> {
    const row = await this.repositories.links.findOwned(ownerId, linkId, db);
    if (!row) throw notFound('no such link');
    return row;
  }

  /** The link, if it exists, has not expired and is within its download limit. */
  private async usable(linkId: string, pastLimit = false): Promise<LinkRow> {
    const row = await this.repositories.links.find(linkId);
    const expired = row?.expires_at != null && row.expires_at <= this.now();
    const exhausted =
      !pastLimit && row?.download_limit != null && row.downloads >= row.download_limit;
    if (!row || expired || exhausted) throw linkNotFound();
    return row;
  }

  /**
   * A node the link reaches: the shared node or one below it, with nothing from the node up to
   * the root in the bin (a shared folder whose parent was binned is in the bin too).
   */
  private async reachable(link: LinkRow, nodeId: string) {
    const chain = await this.repositories.nodes.chain(link.owner_id, nodeId);
    const inside = chain.some((n) => n.id === link.node_id);
    if (!inside || inBin(chain)) throw linkNotFound();
    return this.nodes.get(link.owner_id, nodeId);
  }
}
