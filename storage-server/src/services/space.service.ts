import type { UsageBreakdown } from '@coffre/core/protocol';
import type { Repositories } from '../repositories';

/** What uses an account's storage: each top folder, loose files, the bin, open uploads. */
export class Space {
  constructor(
    private readonly repositories: Pick<Repositories, 'accounts' | 'nodes' | 'uploads'>,
  ) {}

  async breakdown(ownerId: string): Promise<UsageBreakdown> {
    const { accounts, nodes, uploads } = this.repositories;
    const rootId = await accounts.rootId(ownerId);
    const groups = await nodes.bytesByTopFolder(ownerId, rootId);
    const uploading = await uploads.reservedBytes(ownerId);

    const folders: UsageBreakdown['folders'] = [];
    let files = 0;
    let trash = 0;
    for (const group of groups) {
      if (group.inBin) trash += group.bytes;
      else if (group.type === 'file') files += group.bytes;
      else folders.push({ nodeId: group.nodeId, bytes: group.bytes });
    }
    // Largest first: the order a "what uses my space" list wants.
    folders.sort((a, b) => b.bytes - a.bytes || (a.nodeId < b.nodeId ? -1 : 1));
    return { folders, files, trash, uploading };
  }
}
