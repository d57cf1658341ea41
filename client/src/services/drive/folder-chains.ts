import type { DriveService } from './drive-service';

/** Creates each folder of a folder upload once, however many files it holds. */
export class FolderChains {
  private readonly made = new Map<string, Promise<string>>();

  constructor(
    private readonly drive: DriveService,
    private readonly rootId: string,
  ) {}

  folderFor(dirs: string[]): Promise<string> {
    if (dirs.length === 0) return Promise.resolve(this.rootId);
    const path = dirs.join('/');
    let folder = this.made.get(path);
    if (!folder) {
      folder = this.folderFor(dirs.slice(0, -1)).then(
        async (parentId) => (await this.drive.makeFolder(parentId, dirs[dirs.length - 1]!)).id,
      );
      this.made.set(path, folder);
      // A failed folder may be retried by the next file that needs it.
      folder.catch(() => this.made.delete(path));
    }
    return folder;
  }
}
