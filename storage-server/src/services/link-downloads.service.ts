import type { FileManifestResponse } from '@coffre/core/protocol';
import type { Db } from '../db/database';
import type { DownloadGrants, GrantChunk } from './download-grants';
import type { Files, StoredChunk } from './files.service';
import { linkNotFound, type Links } from './links.service';

/** A chunk asked for through a link, with the download grant the request carried, if any. */
export interface LinkChunkRequest {
  linkId: string;
  nodeId: string;
  index: number;
  grant: string | undefined;
}

/** A chunk a link may serve, and what serving it counts. */
export interface LinkChunk {
  ownerId: string;
  chunk: StoredChunk;
  /**
   * Called once the chunk is sure to be sent: takes the chunk for the grant's pass — counting the
   * download it starts and issuing the grant, when the request held none — and returns the new
   * grant, or null when the request held one.
   */
  start(): Promise<string | null>;
  /** Called when the response ended, with whether its last byte reached the connection. */
  end(sentInFull: boolean): Promise<void>;
}

/**
 * Downloads through a share link. Every link download starts at chunk 0: without a grant, chunk 0
 * counts one download and is answered with a grant, and every other chunk of the file needs that
 * grant. So no range, skipped chunk or retry can dodge the count, and a retry within a download
 * never spends it twice. A grant is one pass: it serves each chunk in full once, and a chunk again
 * only when its transfer was cut. It finishes a counted download past the limit; it never starts
 * a new one.
 */
export class LinkDownloads {
  constructor(
    private readonly db: Db,
    private readonly links: Links,
    private readonly files: Files,
    private readonly grants: DownloadGrants,
  ) {}

  async manifest(linkId: string, nodeId: string): Promise<FileManifestResponse> {
    return this.files.manifest(await this.links.fileOwner(linkId, nodeId), nodeId);
  }

  async chunk({ linkId, nodeId, index, grant }: LinkChunkRequest): Promise<LinkChunk> {
    const grantId = await this.grants.find(linkId, nodeId, grant);
    if (grantId === null && index !== 0) throw linkNotFound();
    const ownerId = await this.links.fileOwner(linkId, nodeId, grantId !== null);
    const chunk = await this.files.chunk(ownerId, nodeId, index);
    let taken: GrantChunk | null = null;
    return {
      ownerId,
      chunk,
      start: async () => {
        if (grantId !== null) {
          taken = await this.grants.take(grantId, index);
          return null;
        }
        // Counted, granted and taken together, or not at all.
        const started = await this.db.transaction().execute(async (trx) => {
          await this.links.countDownload(linkId, trx);
          const issued = await this.grants.issue(linkId, nodeId, trx);
          return { issued, chunk: await this.grants.take(issued.id, index, trx) };
        });
        taken = started.chunk;
        return started.issued.grant;
      },
      end: async (sentInFull) => {
        if (taken !== null) await this.grants.settle(taken, sentInFull);
      },
    };
  }
}
