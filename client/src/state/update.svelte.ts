// A new service worker waits until the person chooses to reload: swapping code under an open
// drive could interrupt transfers, so we only offer.
class UpdatePrompt {
  ready = $state(false);
  #apply: (() => void | Promise<void>) | null = null;

  offer(apply: () => void | Promise<void>): void {
    this.#apply = apply;
    this.ready = true;
  }

  async reload(): Promise<void> {
    this.ready = false;
    await this.#apply?.();
  }

  dismiss(): void {
    this.ready = false;
  }
}

export const updatePrompt = new UpdatePrompt();
