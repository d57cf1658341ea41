import { untrack } from 'svelte';
import { transfers } from '../drive/transfers.svelte';

// A new service worker waits until the person chooses to switch: swapping code under an open
// drive could cut transfers short, so we only offer, and while transfers run the offer becomes
// "update after transfers finish". Nothing here reloads the page without that choice.
class UpdatePrompt {
  ready = $state(false);
  /** The person chose to update once the running transfers end. */
  deferred = $state(false);
  /** Another tab already switched to the new version; this page runs the old one until reloaded. */
  replaced = $state(false);
  #apply: (() => void | Promise<void>) | null = null;
  #switching = false;

  readonly transfersRunning = $derived(transfers.active.length > 0);

  constructor() {
    $effect.root(() => {
      $effect(() => {
        if (this.deferred && !this.transfersRunning) untrack(() => void this.#switch());
      });
    });
  }

  /** A new version is waiting; `apply` activates it (the page then reloads, see `taken`). */
  offer(apply: () => void | Promise<void>): void {
    this.#apply = apply;
    this.ready = true;
  }

  /**
   * The new version now controls this page: reload if this page asked for it; if another tab
   * did, only say so.
   */
  taken(): void {
    if (this.#switching) {
      location.reload();
      return;
    }
    this.replaced = true;
    this.#apply = () => location.reload();
    this.ready = true;
  }

  reload(): void {
    if (this.transfersRunning) this.deferred = true;
    else void this.#switch();
  }

  dismiss(): void {
    this.ready = false;
    this.deferred = false;
  }

  async #switch(): Promise<void> {
    this.deferred = false;
    this.ready = false;
    this.#switching = true;
    await this.#apply?.();
  }
}

export const updatePrompt = new UpdatePrompt();
