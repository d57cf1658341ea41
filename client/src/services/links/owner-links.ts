// The owner's share links. A link key is made here and never sent: the server gets the node key
// wrapped under it (`wrappedKey`) and the owner's own copy of it sealed under the master key
// (`ownerKey`), from which any of the owner's devices rebuilds the full link. Both are bound to the
// link's id, which the server draws first (format.md §11.1). With a password, Argon2id runs in a
// worker of its own (crypto-pool.ts).
import { linkUrl } from '@coffre/core/format';
import {
  LinkIdResponse,
  OwnerLinkList,
  OwnerLinkResponse,
  ROUTES,
  apiPath,
  type OwnerLink,
  type UpdateLinkRequest,
} from '@coffre/core/protocol';
import type { OpenSession } from '../account/account-service';
import type { Api } from '../platform/http-client';
import type { LinkOptions, SharedLink } from '../contract';
import type { CryptoPool } from '../platform/crypto-pool';
import { coreCrypto } from '../platform/crypto-main';
import type { DriveService, KnownNode } from '../drive/drive-service';
import { IntegrityFailedError, InvalidRequestError } from '../platform/errors';

export interface LinkChanges {
  password?: string | null;
  expiresAt?: number | null;
  downloadLimit?: number | null;
}

/** Shown for a link whose item no longer verifies (so it can still be revoked). */
const UNAVAILABLE_NAME = 'Unavailable item';

export class LinkService {
  constructor(
    private readonly api: Api,
    private readonly pool: CryptoPool,
    private readonly drive: DriveService,
    private readonly session: () => OpenSession,
  ) {}

  async create(nodeId: string, options: LinkOptions): Promise<SharedLink> {
    checkOptions(options);
    const node = await this.drive.resolve(nodeId);
    if (node.parentId === null) throw new InvalidRequestError({ key: 'root-share' });
    const { userId, keys } = this.session();
    const { linkId } = await this.api.json('POST', ROUTES.linkIds, LinkIdResponse);
    const input = {
      userId,
      masterKey: keys.masterKey,
      linkId,
      nodeId,
      type: node.type,
      nodeKey: node.key,
      signPublicKey: keys.signPublicKey,
      password: options.password,
    };
    const made =
      options.password === null
        ? (await coreCrypto()).createLink(input)
        : await this.pool.runIsolated('createLink', input);
    const { link } = await this.api.json('POST', ROUTES.links, OwnerLinkResponse, {
      body: {
        linkId,
        nodeId,
        wrappedKey: made.wrappedKey,
        ownerKey: made.ownerKey,
        kdf: made.kdf,
        expiresAt: options.expiresAt,
        downloadLimit: options.downloadLimit,
      },
    });
    if (link.linkId !== linkId || link.nodeId !== nodeId) throw new IntegrityFailedError();
    return shared(link, made.linkKey, node);
  }

  /** The account's links, newest first; one whose owner copy does not open is not ours: hidden. */
  async list(): Promise<SharedLink[]> {
    const { links } = await this.api.json('GET', ROUTES.links, OwnerLinkList);
    const core = await coreCrypto();
    const listed = await Promise.all(
      links.map(async (link) => {
        let linkKey: string;
        try {
          linkKey = this.linkKey(core, link);
        } catch {
          return null;
        }
        const node = await this.drive.resolve(link.nodeId).catch(() => null);
        return shared(link, linkKey, node);
      }),
    );
    const result = listed.filter((link) => link !== null);
    if (result.length < links.length)
      console.warn(`${links.length - result.length} link(s) could not be verified and are hidden.`);
    return result;
  }

  async update(linkId: string, changes: LinkChanges): Promise<SharedLink> {
    checkOptions(changes);
    const body: UpdateLinkRequest = {};
    if (changes.expiresAt !== undefined) body.expiresAt = changes.expiresAt;
    if (changes.downloadLimit !== undefined) body.downloadLimit = changes.downloadLimit;
    if (changes.password !== undefined) body.password = await this.rewrap(linkId, changes.password);
    const { link } = await this.api.json('PATCH', apiPath.link(linkId), OwnerLinkResponse, {
      body,
    });
    if (link.linkId !== linkId) throw new IntegrityFailedError();
    const linkKey = this.linkKey(await coreCrypto(), link);
    return shared(link, linkKey, await this.drive.resolve(link.nodeId).catch(() => null));
  }

  async revoke(linkId: string): Promise<void> {
    await this.api.empty('DELETE', apiPath.link(linkId));
  }

  /** The node key wrapped again under the same link key, with the new password (or none). */
  private async rewrap(
    linkId: string,
    password: string | null,
  ): Promise<{ wrappedKey: string; kdf: OwnerLink['kdf'] }> {
    const { links } = await this.api.json('GET', ROUTES.links, OwnerLinkList);
    const link = links.find((l) => l.linkId === linkId);
    if (!link) throw new InvalidRequestError({ key: 'link-gone' });
    const core = await coreCrypto();
    const node = await this.drive.resolve(link.nodeId);
    const input = {
      linkKey: this.linkKey(core, link),
      linkId,
      nodeId: node.id,
      type: node.type,
      nodeKey: node.key,
      signPublicKey: this.session().keys.signPublicKey,
      password,
    };
    return password === null
      ? core.wrapLinkKey(input)
      : await this.pool.runIsolated('wrapLinkKey', input);
  }

  private linkKey(core: Awaited<ReturnType<typeof coreCrypto>>, link: OwnerLink): string {
    const { userId, keys } = this.session();
    return core.openOwnerLinkKey({
      userId,
      masterKey: keys.masterKey,
      linkId: link.linkId,
      ownerKey: link.ownerKey,
    });
  }
}

function shared(link: OwnerLink, linkKey: string, node: KnownNode | null): SharedLink {
  return {
    linkId: link.linkId,
    nodeId: link.nodeId,
    name: node?.meta?.name ?? UNAVAILABLE_NAME,
    type: node?.type ?? link.type,
    url: linkUrl(location.origin, link.linkId, linkKey),
    hasPassword: link.kdf !== null,
    expiresAt: link.expiresAt,
    downloadLimit: link.downloadLimit,
    downloads: link.downloads,
    createdAt: link.createdAt,
  };
}

/** Refusals before any work; the server checks the same again. */
function checkOptions({ password, expiresAt, downloadLimit }: LinkChanges): void {
  if (password === '') throw new InvalidRequestError({ key: 'link-password-empty' });
  if (expiresAt != null && !(Number.isSafeInteger(expiresAt) && expiresAt > Date.now()))
    throw new InvalidRequestError({ key: 'link-expiry-past' });
  if (downloadLimit != null && !(Number.isSafeInteger(downloadLimit) && downloadLimit >= 1))
    throw new InvalidRequestError({ key: 'link-limit' });
}
