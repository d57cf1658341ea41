import { describeError, services } from '../../services';
import type { DriveNode, LinkOptions, SharedLink } from '../../services/contract/index';
import { toasts } from '../app/toasts.svelte';

export type LinkChanges = Parameters<typeof services.updateLink>[1];

// The owner's share links: the "Shared links" view and the dialogs that create, edit and revoke
// them. A ticket keeps a slow listing from overwriting a newer one.
class SharedLinks {
  items = $state<SharedLink[]>([]);
  loading = $state(false);
  error = $state<string | null>(null);
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
        this.error = describeError(error);
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

  /** Resolves to the new link, or to an error message. */
  async create(node: DriveNode, options: LinkOptions): Promise<SharedLink | string> {
    try {
      const link = await services.createLink(node.id, options);
      this.items = [link, ...this.items.filter((l) => l.linkId !== link.linkId)];
      return link;
    } catch (error) {
      return describeError(error);
    }
  }

  /** Resolves to an error message, or null when saved. */
  async update(link: SharedLink, changes: LinkChanges): Promise<string | null> {
    try {
      const updated = await services.updateLink(link.linkId, changes);
      this.items = this.items.map((l) => (l.linkId === updated.linkId ? updated : l));
      toasts.show(`Link to “${link.name}” updated.`);
      return null;
    } catch (error) {
      return describeError(error);
    }
  }

  async revoke(link: SharedLink): Promise<string | null> {
    try {
      await services.revokeLink(link.linkId);
    } catch (error) {
      return describeError(error);
    }
    this.items = this.items.filter((l) => l.linkId !== link.linkId);
    toasts.show(`Link to “${link.name}” revoked. It no longer opens.`);
    return null;
  }
}

export const sharedLinks = new SharedLinks();
