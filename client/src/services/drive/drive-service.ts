// The drive: folders and files whose keys and names were verified on this device.
//
// A node's key is only ever learned by unwrapping it from its parent's key, all the way down from
// the root key in the account bundle (R9, R12). A node the server made up, moved or swapped fails
// to unwrap and is never shown. `known` caches what was verified so far, keyed by node id.
import type { NodeMeta, NodeType } from '@coffre/core/crypto';
import { MAX_FOLDER_DEPTH } from '@coffre/core/format';
import {
  apiPath,
  NodeList,
  NodeResponse,
  PlanCatalog,
  ROUTES,
  Account as AccountSchema,
  UsageBreakdown as UsageBreakdownResponse,
  type Node,
} from '@coffre/core/protocol';
import type { OpenSession } from '../account/account-service';
import type { Api } from '../platform/http-client';
import type { DriveNode, Plan, SpaceUse, Usage, UsageBreakdown } from '../contract';
import { coreCrypto } from '../platform/crypto-main';
import { IntegrityFailedError, InvalidRequestError } from '../platform/errors';

/** What the client knows about a verified node. */
export interface KnownNode {
  id: string;
  parentId: string | null;
  type: NodeType;
  key: Uint8Array;
  /** null for the root folder, which has no sealed metadata. */
  meta: NodeMeta | null;
  createdAt: number;
}

/** Shown for the root folder, which has no sealed name. */
const ROOT_NAME = 'My files';

export class DriveService {
  private readonly known = new Map<string, KnownNode>();
  /** Children of each folder that failed verification at its last listing. */
  private readonly skipped = new Map<string, number>();
  /** Entries of the bin that failed verification at its last listing. */
  private skippedInTrash = 0;

  constructor(
    private readonly api: Api,
    private readonly session: () => OpenSession,
  ) {}

  /** Forgets every key (log out, account switch). */
  reset(): void {
    for (const node of this.known.values()) node.key.fill(0);
    this.known.clear();
    this.skipped.clear();
    this.skippedInTrash = 0;
  }

  rootId(): string {
    return this.session().keys.rootId;
  }

  async list(folderId: string): Promise<DriveNode[]> {
    const folder = await this.folder(folderId);
    const { nodes } = await this.api.json('GET', apiPath.nodeChildren(folderId), NodeList);
    const { opened, dropped } = await openChildren(folder, nodes);
    this.skipped.set(folder.id, dropped);
    return opened.map((node) => toDriveNode(this.remember(node))).sort(byTypeThenName);
  }

  /** How many children of `folderId` were dropped at its last listing because they did not verify. */
  unverifiedCount(folderId: string): number {
    return this.skipped.get(folderId) ?? 0;
  }

  async path(folderId: string): Promise<DriveNode[]> {
    const chain: DriveNode[] = [];
    let node: KnownNode | undefined = await this.resolve(folderId);
    while (node) {
      chain.unshift(toDriveNode(node));
      node = node.parentId === null ? undefined : this.known.get(node.parentId);
    }
    return chain;
  }

  async createFolder(parentId: string, name: string): Promise<DriveNode> {
    return toDriveNode(await this.makeFolder(parentId, name));
  }

  /** Creates a folder and returns it with its key (folder uploads create their chain with this). */
  async makeFolder(parentId: string, name: string): Promise<KnownNode> {
    const core = await coreCrypto();
    core.validateName(name);
    const parent = await this.folder(parentId);
    const meta: NodeMeta = { name, mtime: Date.now(), mime: null, size: null };
    const created = core.createNode(parent.id, parent.key, 'folder', meta);
    const { node } = await this.api.json('POST', ROUTES.folders, NodeResponse, {
      body: {
        id: created.id,
        parentId: parent.id,
        wrappedKey: created.wrappedKey,
        encMeta: created.encMeta,
      },
    });
    return this.remember({
      id: created.id,
      parentId: parent.id,
      type: 'folder',
      key: created.key,
      meta,
      createdAt: node.createdAt,
    });
  }

  async rename(nodeId: string, name: string): Promise<void> {
    const core = await coreCrypto();
    core.validateName(name);
    const node = await this.resolve(nodeId);
    if (node.parentId === null || node.meta === null)
      throw new InvalidRequestError({ key: 'root-rename' });
    const meta = { ...node.meta, name };
    const encMeta = core.sealNodeMeta(node.id, node.parentId, node.type, node.key, meta);
    await this.api.empty('PATCH', apiPath.node(nodeId), { body: { encMeta } });
    this.remember({ ...node, meta });
  }

  async move(nodeId: string, newParentId: string): Promise<void> {
    const core = await coreCrypto();
    const node = await this.resolve(nodeId);
    if (node.parentId === null || node.meta === null)
      throw new InvalidRequestError({ key: 'root-move' });
    if (node.parentId === newParentId) return;
    const target = await this.folder(newParentId);
    // `target` and all its ancestors are in `known` now: refuse a move into the node itself or below it.
    for (
      let at: KnownNode | undefined = target;
      at;
      at = at.parentId ? this.known.get(at.parentId) : undefined
    ) {
      if (at.id === node.id) throw new InvalidRequestError({ key: 'into-itself' });
    }
    const wrappedKey = core.wrapNodeKey(node.id, target.id, target.key, node.type, node.key);
    const encMeta = core.sealNodeMeta(node.id, target.id, node.type, node.key, node.meta);
    await this.api.empty('PATCH', apiPath.node(nodeId), {
      body: { encMeta, parentId: target.id, wrappedKey },
    });
    this.remember({ ...node, parentId: target.id });
  }

  async trash(nodeId: string): Promise<void> {
    const node = await this.resolve(nodeId);
    if (node.parentId === null) throw new InvalidRequestError({ key: 'root-delete' });
    await this.api.empty('DELETE', apiPath.node(nodeId));
  }

  async restore(nodeId: string): Promise<void> {
    await this.api.empty('POST', apiPath.nodeRestore(nodeId));
  }

  async listTrash(): Promise<DriveNode[]> {
    const { nodes } = await this.api.json('GET', ROUTES.trash, NodeList);
    const result: DriveNode[] = [];
    let dropped = 0;
    for (const node of nodes) {
      try {
        if (node.parentId === null) throw new IntegrityFailedError();
        const parent = await this.folder(node.parentId);
        result.push(toDriveNode(this.remember(await openChild(parent, node))));
      } catch {
        dropped++;
      }
    }
    if (dropped > 0)
      console.warn(`${dropped} item(s) in the bin could not be verified and are hidden.`);
    this.skippedInTrash = dropped;
    return result.sort(byTypeThenName);
  }

  /** How many entries of the bin were dropped at its last listing because they did not verify. */
  unverifiedInTrash(): number {
    return this.skippedInTrash;
  }

  /** Deletes a top-level item of the bin and everything under it, for good. */
  async purge(nodeId: string): Promise<void> {
    await this.api.empty('DELETE', apiPath.trashNode(nodeId));
  }

  async emptyTrash(): Promise<void> {
    await this.api.empty('DELETE', ROUTES.trash);
  }

  async usage(): Promise<Usage> {
    const { usage } = await this.api.json('GET', ROUTES.account, AccountSchema);
    return {
      storageUsed: usage.storageUsed,
      storageQuota: usage.storageQuota,
      transferUsed: usage.transferUsed,
      transferQuota: usage.transferQuota,
      transferResetsAt: usage.transferResetsAt,
      plan: { id: usage.plan.id, name: usage.plan.name },
    };
  }

  async plans(): Promise<Plan[]> {
    const { plans } = await this.api.json('GET', ROUTES.plans, PlanCatalog);
    return plans.map(({ id, name, storageQuota, transferQuota }) => ({
      id,
      name,
      storageQuota,
      transferQuota,
    }));
  }

  /**
   * Where the space goes. The server names top folders by id only; each is shown under the name
   * its verified key chain gives it, and an id that does not verify as a folder directly in the
   * root is left out (its bytes still count in the total usage).
   */
  async usageBreakdown(): Promise<UsageBreakdown> {
    const rootId = this.rootId();
    const [answer, children] = await Promise.all([
      this.api.json('GET', ROUTES.accountUsage, UsageBreakdownResponse),
      this.list(rootId),
    ]);
    const listed = new Map(children.map((node) => [node.id, node]));
    const items: SpaceUse[] = [];
    const seen = new Set<string>();
    for (const { nodeId, bytes } of answer.folders) {
      if (seen.has(nodeId)) continue;
      seen.add(nodeId);
      const node = listed.get(nodeId) ?? (await this.rootChild(nodeId, rootId));
      if (node?.type === 'folder') items.push({ node, bytes });
    }
    if (answer.files > 0) items.push({ node: null, bytes: answer.files });
    items.sort((a, b) => b.bytes - a.bytes);
    return { items, trash: answer.trash, uploading: answer.uploading };
  }

  /** A folder created after the listing: verified down its key chain, or undefined. */
  private async rootChild(nodeId: string, rootId: string): Promise<DriveNode | undefined> {
    try {
      const node = await this.resolve(nodeId);
      return node.parentId === rootId ? toDriveNode(node) : undefined;
    } catch {
      return undefined;
    }
  }

  /** The node if it was verified already (no request). */
  cached(nodeId: string): KnownNode | undefined {
    return this.known.get(nodeId);
  }

  /** Records a node whose key this device made (an upload that just committed). */
  remember(node: KnownNode): KnownNode {
    this.known.set(node.id, node);
    return node;
  }

  /** The verified node, fetching and unwrapping its ancestors as needed. */
  async resolve(nodeId: string, depth = 0): Promise<KnownNode> {
    const cached = this.known.get(nodeId);
    if (cached) return cached;
    const { keys } = this.session();
    if (nodeId === keys.rootId) {
      const { node } = await this.api.json('GET', apiPath.node(nodeId), NodeResponse);
      return this.remember({
        id: nodeId,
        parentId: null,
        type: 'folder',
        key: keys.rootKey,
        meta: null,
        createdAt: node.createdAt,
      });
    }
    if (depth > MAX_FOLDER_DEPTH) throw new IntegrityFailedError();
    const { node } = await this.api.json('GET', apiPath.node(nodeId), NodeResponse);
    if (node.id !== nodeId || node.parentId === null) throw new IntegrityFailedError();
    const parent = await this.resolve(node.parentId, depth + 1);
    if (parent.type !== 'folder') throw new IntegrityFailedError();
    return this.remember(await openChild(parent, node));
  }

  /**
   * The folder a new upload goes into. The root's key comes with the account, so files can be
   * queued into it offline; another folder must have been verified (or be reachable) first.
   */
  async uploadTarget(folderId: string): Promise<KnownNode> {
    const { keys } = this.session();
    if (!this.known.has(folderId) && folderId === keys.rootId) {
      return {
        id: folderId,
        parentId: null,
        type: 'folder',
        key: keys.rootKey,
        meta: null,
        createdAt: 0,
      };
    }
    return this.folder(folderId);
  }

  /** A verified folder. */
  async folder(folderId: string): Promise<KnownNode> {
    const node = await this.resolve(folderId);
    if (node.type !== 'folder') throw new InvalidRequestError({ key: 'not-a-folder' });
    return node;
  }
}

/** A node as the server lists it, in the drive or through a share link. */
export type ListedNode = Pick<
  Node,
  'id' | 'parentId' | 'type' | 'wrappedKey' | 'encMeta' | 'createdAt'
>;

/** Opens every child of a verified folder; those that fail verification are counted, not shown. */
export async function openChildren(
  parent: KnownNode,
  nodes: ListedNode[],
): Promise<{ opened: KnownNode[]; dropped: number }> {
  const opened: KnownNode[] = [];
  let dropped = 0;
  for (const node of nodes) {
    try {
      opened.push(await openChild(parent, node));
    } catch {
      dropped++;
    }
  }
  if (dropped > 0)
    console.warn(`${dropped} item(s) in a folder could not be verified and are hidden.`);
  return { opened, dropped };
}

/** Unwraps a node under its parent's key: fails unless it was sealed in that very folder. */
async function openChild(parent: KnownNode, node: ListedNode): Promise<KnownNode> {
  if (node.parentId !== parent.id || node.wrappedKey === null || node.encMeta === null) {
    throw new IntegrityFailedError();
  }
  const core = await coreCrypto();
  const { key, meta } = core.openNode(parent.id, parent.key, {
    id: node.id,
    type: node.type,
    wrappedKey: node.wrappedKey,
    encMeta: node.encMeta,
  });
  return {
    id: node.id,
    parentId: parent.id,
    type: node.type,
    key,
    meta,
    createdAt: node.createdAt,
  };
}

export function toDriveNode(node: KnownNode): DriveNode {
  return {
    id: node.id,
    parentId: node.parentId ?? node.id,
    type: node.type,
    name: node.meta?.name ?? ROOT_NAME,
    size: node.type === 'file' ? (node.meta?.size ?? null) : null,
    mime: node.meta?.mime ?? null,
    mtime: node.meta?.mtime ?? node.createdAt,
    createdAt: node.createdAt,
  };
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

export function byTypeThenName(a: DriveNode, b: DriveNode): number {
  if (a.type !== b.type) return a.type === 'folder' ? -1 : 1;
  return collator.compare(a.name, b.name);
}
