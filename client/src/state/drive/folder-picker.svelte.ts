import { asServiceFailure, services, type DriveNode, type ServiceFailure } from '../../services';

// Browses the folder tree for the Move dialog. The node being moved is shown but cannot be
// entered, so a folder can never be chosen as its own destination or one of its descendants'.
export class FolderPicker {
  readonly moving: DriveNode;
  folderId = $state('');
  path = $state<DriveNode[]>([]);
  folders = $state<DriveNode[]>([]);
  loading = $state(false);
  error = $state<ServiceFailure | null>(null);
  #ticket = 0;

  constructor(moving: DriveNode) {
    this.moving = moving;
  }

  get canMoveHere(): boolean {
    return !this.loading && this.error === null && this.folderId !== this.moving.parentId;
  }

  canEnter(folder: DriveNode): boolean {
    return folder.id !== this.moving.id;
  }

  async open(folderId: string): Promise<void> {
    const ticket = ++this.#ticket;
    this.folderId = folderId;
    this.loading = true;
    this.error = null;
    try {
      const [path, children] = await Promise.all([
        services.path(folderId),
        services.list(folderId),
      ]);
      if (ticket !== this.#ticket) return;
      this.path = path;
      this.folders = children.filter((node) => node.type === 'folder');
    } catch (error) {
      if (ticket === this.#ticket) this.error = asServiceFailure(error);
    } finally {
      if (ticket === this.#ticket) this.loading = false;
    }
  }

  openRoot(): Promise<void> {
    return this.open(services.rootId());
  }
}
