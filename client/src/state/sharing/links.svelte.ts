import {
  asServiceFailure,
  services,
  type DriveNode,
  type LinkOptions,
  type ServiceFailure,
  type SharedLink,
} from '../../services';
import { toasts } from '../app/toasts.svelte';

export type LinkChanges = Parameters<typeof services.updateLink>[1];

// The owner's share links: the "Shared links" view and the dialogs that create, edit and revoke
// them. A ticket keeps a slow listing from overwriting a newer one.
class SharedLinks {
  items = $state<SharedLink[]>([]);
  loading = $state(false);
  error = $state<ServiceFailure | null>(null);
  #ticket = 0;

  async load(): Promise<void> {
    const ticket = ++this.#ticket;
    this.loading = true;
    this.error = null;
    try {
      const links = await services.listLinks();
      if (ticket === this.#ticket) this.items = links;
    } catch (error) {
      if (ticket === this.#ticket) {
        this.items = [];
        this.error = asServiceFailure(error);
      }
    } finally {
      if (ticket === this.#ticket) this.loading = false;
    }
  }

  reset(): void {
    this.#ticket++;
    this.items = [];
    this.error = null;
    this.loading = false;
  }

  /** Resolves to the new link, or to the failure to show. */
  async create(node: DriveNode, options: LinkOptions): Promise<SharedLink | ServiceFailure> {
    try {
      const link = await services.createLink(node.id, options);
      this.items = [link, ...this.items.filter((l) => l.linkId !== link.linkId)];
      return link;
    } catch (error) {
      return asServiceFailure(error);
    }
  }

  /** Resolves to the failure to show, or null when saved. */
  async update(link: SharedLink, changes: LinkChanges): Promise<ServiceFailure | null> {
    try {
      const updated = await services.updateLink(link.linkId, changes);
      this.items = this.items.map((l) => (l.linkId === updated.linkId ? updated : l));
      toasts.show({ key: 'links.updated', params: { name: link.name } });
      return null;
    } catch (error) {
      return asServiceFailure(error);
    }
  }

  async revoke(link: SharedLink): Promise<ServiceFailure | null> {
    try {
      await services.revokeLink(link.linkId);
    } catch (error) {
      return asServiceFailure(error);
    }
    this.items = this.items.filter((l) => l.linkId !== link.linkId);
    toasts.show({ key: 'links.revoked', params: { name: link.name } });
    return null;
  }
}

export const sharedLinks = new SharedLinks();
