import type { FileManifestResponse } from '@coffre/core/protocol';
import type { DownloadGrants } from './download-grants';
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
   * Called once the chunk is sure to be sent: counts the download it starts and returns the grant
   * for the rest of the file, or null when the request held a grant and nothing is counted.
   */
  countDownload(): Promise<string | null>;
}

/**
 * Downloads through a share link. Every link download starts at chunk 0: without a grant, chunk 0
 * counts one download and is answered with a grant, and every other chunk of the file needs that
 * grant. So no range, skipped chunk or retry can dodge the count, and a retry within a download
 * never spends it twice. A grant finishes a counted download past the limit; it never starts a
 * new one.
 */
export class LinkDownloads {
  constructor(
    private readonly links: Links,
    private readonly files: Files,
    private readonly grants: DownloadGrants,
  ) {}

  async manifest(linkId: string, nodeId: string): Promise<FileManifestResponse> {
    return this.files.manifest(await this.links.fileOwner(linkId, nodeId), nodeId);
  }

  async chunk({ linkId, nodeId, index, grant }: LinkChunkRequest): Promise<LinkChunk> {
    const granted = this.grants.isValid(linkId, nodeId, grant);
    if (!granted && index !== 0) throw linkNotFound();
    const ownerId = await this.links.fileOwner(linkId, nodeId, granted);
    const chunk = await this.files.chunk(ownerId, nodeId, index);
    return {
      ownerId,
      chunk,
      countDownload: async () => {
        if (granted) return null;
        await this.links.countDownload(linkId);
        return this.grants.issue(linkId, nodeId);
      },
    };
  }
}
