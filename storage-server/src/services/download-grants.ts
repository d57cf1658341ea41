import { ApiError, conflict } from '../api-error';
import type { Db } from '../db/database';
import type { Repositories } from '../repositories';
import type { DownloadGrantRow } from '../repositories/download-grants.repository';
import { randomId, randomToken, sha256 } from './hashing';
import { TRANSFER_HOLD_MS } from './transfer-meter.service';

const GRANT_PATTERN = /^([0-9]{1,16})\.([A-Za-z0-9_-]{43})$/;

/** What a client waits before asking again for a chunk another response is sending. */
export const CHUNK_BUSY_RETRY_SECONDS = 1;

/** A chunk one response took under a grant, until that response ends. */
export interface GrantChunk {
  grantId: string;
  index: number;
  claimId: string;
}

/**
 * Proof that a link download of one file was counted, so the rest of that file's chunks are still
 * served after this download used up the link's limit — once each: a grant is one pass over the
 * file. Sent as `<expiresAt>.<secret>`; the server keeps the secret's SHA-256 with the link, the
 * file and the expiry, and every chunk the pass took: held by the response sending it, then sent.
 */
export class DownloadGrants {
  constructor(
    private readonly repositories: Pick<Repositories, 'downloadGrants'>,
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly holdMs = TRANSFER_HOLD_MS,
  ) {}

  /** A new grant for one pass over the file, and its header value. */
  async issue(linkId: string, nodeId: string, db: Db): Promise<{ grant: string; id: string }> {
    const { downloadGrants } = this.repositories;
    const now = this.now();
    // A link keeps only its live grants; each new download clears the ones that lapsed.
    await downloadGrants.deleteExpired(linkId, now, db);
    const secret = randomToken();
    const expiresAt = now + this.ttlMs;
    const id = sha256(secret);
    await downloadGrants.insert(
      { id, link_id: linkId, node_id: nodeId, expires_at: expiresAt },
      db,
    );
    return { grant: `${expiresAt}.${secret}`, id };
  }

  /** The grant's id, if the header carries a live grant of this link's file; null otherwise. */
  async find(linkId: string, nodeId: string, grant: string | undefined): Promise<string | null> {
    const parts = grant === undefined ? null : GRANT_PATTERN.exec(grant);
    if (!parts) return null;
    const row = await this.repositories.downloadGrants.find(sha256(parts[2] ?? ''));
    return row && this.matches(row, linkId, nodeId, Number(parts[1])) ? row.id : null;
  }

  /**
   * Takes chunk `index` of the grant's pass for one response. Refused when the pass has the chunk
   * already (409), or another response is sending it right now (429: typically the transfer a
   * retry overtook, whose end the server has not seen yet).
   */
  async take(grantId: string, index: number, db?: Db): Promise<GrantChunk> {
    const { downloadGrants } = this.repositories;
    const now = this.now();
    const row = {
      grant_id: grantId,
      idx: index,
      claim_id: randomId(),
      held_until: now + this.holdMs,
    };
    const taken =
      (await downloadGrants.insertChunk(row, db)) ||
      (await downloadGrants.takeOverLapsed(row, now, db));
    if (taken) return { grantId, index, claimId: row.claim_id };
    const existing = await downloadGrants.findChunk(grantId, index, db);
    if (existing !== undefined && existing.held_until === null) {
      throw conflict('this chunk was already sent under this download grant');
    }
    throw new ApiError(
      'rate_limited',
      `this chunk is being sent under this download grant; try again in ${CHUNK_BUSY_RETRY_SECONDS} second`,
    );
  }

  /** When the response ended: a chunk sent in full is spent; any other may be taken again. */
  async settle(chunk: GrantChunk, sentInFull: boolean): Promise<void> {
    const { downloadGrants } = this.repositories;
    if (sentInFull) await downloadGrants.markSent(chunk.grantId, chunk.index, chunk.claimId);
    else await downloadGrants.release(chunk.grantId, chunk.index, chunk.claimId);
  }

  private matches(row: DownloadGrantRow, linkId: string, nodeId: string, expiresAt: number) {
    return (
      row.link_id === linkId &&
      row.node_id === nodeId &&
      row.expires_at === expiresAt &&
      expiresAt > this.now()
    );
  }
}
