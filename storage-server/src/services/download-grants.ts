import { hmac, sameHash } from './hashing';

const GRANT_PATTERN = /^([0-9]{1,16})\.([A-Za-z0-9_-]{43})$/;

/**
 * Proof that a link download of one file was counted, so the rest of that file's chunks are still
 * served after this download used up the link's limit. Stateless: an expiry and an HMAC of it,
 * the link id and the node id under the server secret.
 */
export class DownloadGrants {
  constructor(
    private readonly secret: Buffer,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  issue(linkId: string, nodeId: string): string {
    const expiresAt = this.now() + this.ttlMs;
    return `${expiresAt}.${this.mac(linkId, nodeId, expiresAt)}`;
  }

  isValid(linkId: string, nodeId: string, grant: string | undefined): boolean {
    const parts = grant === undefined ? null : GRANT_PATTERN.exec(grant);
    if (!parts) return false;
    const expiresAt = Number(parts[1]);
    return expiresAt > this.now() && sameHash(parts[2] ?? '', this.mac(linkId, nodeId, expiresAt));
  }

  private mac(linkId: string, nodeId: string, expiresAt: number): string {
    return hmac(this.secret, 'link-download-grant', `${linkId}|${nodeId}|${expiresAt}`).toString(
      'base64url',
    );
  }
}
