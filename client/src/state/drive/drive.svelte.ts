import {
  asServiceFailure,
  QuotaRefusedError,
  services,
  type DriveNode,
  type ServiceFailure,
  type TransferSnapshot,
} from '../../services';
import type { Shown } from '../app/messages';
import { placeDroppedTree, readDroppedEntries, type DroppedTree } from './dropped-files';
import { sharedLinks } from '../sharing/links.svelte';
import { toasts } from '../app/toasts.svelte';
import { transfers } from './transfers.svelte';
import { accountUsage } from './usage.svelte';

export type DriveView = 'folder' | 'trash' | 'links' | 'plans' | 'space';

// The folder on screen, the rubbish bin, the shared links, the plans and the space pages. Every listing
// carries a ticket so a slow answer for a folder the person already left never overwrites the
// newer one.
class Drive {
  view = $state<DriveView>('folder');
  folderId = $state('');
  path = $state<DriveNode[]>([]);
  items = $state<DriveNode[]>([]);
  loading = $state(false);
  error = $state<ServiceFailure | null>(null);
  /** Entries of the open folder or of the bin hidden because they failed verification. */
  unverified = $state(0);
  #ticket = 0;
  #stopWatching: (() => void) | null = null;

  readonly currentFolder = $derived(this.path.at(-1) ?? null);

  start(): void {
    this.#stopWatching ??= transfers.onFinish((transfer) => {
      if (transfer.kind !== 'upload') return;
      if (transfer.state === 'done') {
        if (this.view === 'folder' && transfer.parentId === this.folderId) void this.refresh();
        void accountUsage.refresh();
      }
      if (transfer.state === 'failed') void this.#offerPlansIfFull(transfer);
    });
    accountUsage.start();
    void this.openRoot();
  }

  stop(): void {
    this.#stopWatching?.();
    this.#stopWatching = null;
    this.#ticket++;
    this.items = [];
    this.path = [];
    accountUsage.stop();
    this.error = null;
    this.unverified = 0;
    this.view = 'folder';
    sharedLinks.reset();
  }

  openFolder(folderId: string): Promise<void> {
    this.view = 'folder';
    this.folderId = folderId;
    return this.#load(async () => {
      const [path, items] = await Promise.all([services.path(folderId), services.list(folderId)]);
      return () => {
        this.path = path;
        this.items = items;
        this.unverified = services.unverifiedCount(folderId);
      };
    });
  }

  openRoot(): Promise<void> {
    return this.openFolder(services.rootId());
  }

  openTrash(): Promise<void> {
    this.view = 'trash';
    return this.#load(async () => {
      const items = await services.listTrash();
      return () => {
        this.items = items;
        this.unverified = services.unverifiedInTrash();
      };
    });
  }

  /** The links view keeps its own list; a pending folder or bin listing is dropped. */
  openLinks(): Promise<void> {
    this.#leaveListing('links');
    return sharedLinks.load();
  }

  /** Pages without a listing of their own drop any pending folder or bin listing. */
  openPlans(): Promise<void> {
    this.#leaveListing('plans');
    return accountUsage.loadPlans();
  }

  openSpace(): Promise<void> {
    this.#leaveListing('space');
    return accountUsage.loadBreakdown();
  }

  refresh(): Promise<void> {
    switch (this.view) {
      case 'links':
        return sharedLinks.load();
      case 'plans':
        return accountUsage.loadPlans();
      case 'space':
        return accountUsage.loadBreakdown();
      case 'trash':
        return this.openTrash();
      case 'folder':
        return this.openFolder(this.folderId);
    }
  }

  /** Resolves to the failure to show, or null when the folder exists. */
  async createFolder(name: string): Promise<ServiceFailure | null> {
    const parentId = this.folderId;
    try {
      await services.createFolder(parentId, name);
      if (this.view === 'folder' && this.folderId === parentId) await this.refresh();
      return null;
    } catch (error) {
      return asServiceFailure(error);
    }
  }

  async rename(node: DriveNode, name: string): Promise<ServiceFailure | null> {
    if (name === node.name) return null;
    try {
      await services.rename(node.id, name);
      await this.refresh();
      return null;
    } catch (error) {
      return asServiceFailure(error);
    }
  }

  async move(node: DriveNode, targetId: string): Promise<ServiceFailure | null> {
    try {
      await services.move(node.id, targetId);
      await this.refresh();
      toasts.show({ key: 'drive.moved', params: { name: node.name } });
      return null;
    } catch (error) {
      return asServiceFailure(error);
    }
  }

  async trash(node: DriveNode): Promise<void> {
    try {
      await services.trash(node.id);
    } catch (error) {
      toasts.error(asServiceFailure(error));
      return;
    }
    await this.refresh();
    toasts.show(
      { key: 'drive.trashed', params: { name: node.name } },
      {
        action: {
          label: { key: 'action.undo' },
          run: () => this.restore(node, { quiet: true }),
        },
      },
    );
  }

  async restore(node: DriveNode, options: { quiet?: boolean } = {}): Promise<void> {
    try {
      await services.restore(node.id);
    } catch (error) {
      toasts.error(asServiceFailure(error));
      return;
    }
    await this.refresh();
    if (!options.quiet) toasts.show({ key: 'drive.restored', params: { name: node.name } });
  }

  /** Deletes a binned item for good; resolves to the failure to show, or null when done. */
  async purge(node: DriveNode): Promise<ServiceFailure | null> {
    try {
      await services.purge(node.id);
    } catch (error) {
      return asServiceFailure(error);
    }
    await Promise.all([this.refresh(), accountUsage.refresh()]);
    toasts.show({ key: 'drive.purged', params: { name: node.name } });
    return null;
  }

  async emptyTrash(): Promise<ServiceFailure | null> {
    try {
      await services.emptyTrash();
    } catch (error) {
      return asServiceFailure(error);
    }
    await Promise.all([this.refresh(), accountUsage.refresh()]);
    toasts.show({ key: 'drive.bin-emptied' });
    return null;
  }

  /** Queues files into the open folder; a file that could not be queued is said in a toast. */
  async upload(files: File[]): Promise<void> {
    if (files.length === 0) return;
    try {
      await services.upload(this.folderId, files);
    } catch (error) {
      // Over the storage quota: the failed transfer and #offerPlansIfFull already say so.
      this.#unlessQuota(error);
    }
  }

  /** Recreates the dropped folders, then uploads each file into its own (as folder uploads do). */
  async uploadDropped(entries: FileSystemEntry[]): Promise<void> {
    const parentId = this.folderId;
    let tree: DroppedTree;
    try {
      tree = await readDroppedEntries(entries);
    } catch (error) {
      toasts.error({ key: 'drive.drop-unreadable', params: { error: asServiceFailure(error) } });
      return;
    }
    try {
      const byFolder = await placeDroppedTree(
        tree,
        parentId,
        async (parent, name) => (await services.createFolder(parent, name)).id,
      );
      if (tree.folders.length > 0 && this.folderId === parentId) await this.refresh();
      for (const [folderId, files] of byFolder) await services.upload(folderId, files);
    } catch (error) {
      this.#unlessQuota(error);
    }
  }

  download(node: DriveNode): void {
    services.download(node.id);
  }

  #leaveListing(view: DriveView): void {
    this.#ticket++;
    this.view = view;
    this.loading = false;
    this.error = null;
    this.unverified = 0;
  }

  /** Says why files could not be queued, unless the storage quota refused them. */
  #unlessQuota(error: unknown): void {
    const failure = asServiceFailure(error);
    if (!(failure instanceof QuotaRefusedError && failure.quota === 'storage'))
      toasts.error(failure);
  }

  // The transfer already shows the refusal; when fresh figures confirm the file did not fit, a
  // toast repeats it with the way out.
  async #offerPlansIfFull(transfer: TransferSnapshot): Promise<void> {
    await accountUsage.refresh();
    const usage = accountUsage.current;
    if (!usage || usage.storageQuota === null) return;
    if (usage.storageUsed + transfer.size - transfer.done <= usage.storageQuota) return;
    const said: Shown = transfer.error ?? { key: 'drive.no-room', params: { name: transfer.name } };
    toasts.show(said, {
      tone: 'error',
      action: { label: { key: 'action.see-plans' }, run: () => this.openPlans() },
    });
  }

  async #load(read: () => Promise<() => void>): Promise<void> {
    const ticket = ++this.#ticket;
    this.loading = true;
    this.error = null;
    try {
      const apply = await read();
      if (ticket === this.#ticket) apply();
    } catch (error) {
      if (ticket === this.#ticket) {
        this.items = [];
        this.error = asServiceFailure(error);
      }
    } finally {
      if (ticket === this.#ticket) this.loading = false;
    }
  }
}

export const drive = new Drive();
