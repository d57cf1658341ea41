import { untrack } from 'svelte';
import { asServiceFailure, drainInbox, inboxCount, onInboxChange, services } from '../../services';
import type { Message } from '../app/messages';
import { session } from '../app/session.svelte';
import { toasts } from '../app/toasts.svelte';

// Files shared to Coffre from other apps wait in the device's share inbox (written by the service
// worker) until an account is open; then they go to the upload queue, into the drive's top
// folder, and leave the inbox once queued. Until then the log-in screen says they are waiting.
class SharedFiles {
  /** Files in the inbox, not yet queued. */
  waiting = $state(0);
  #started = false;
  #queueing = false;

  /** `shared` is the share target's redirect value from the launch URL, if any. */
  start(shared: string | null): void {
    if (this.#started) return;
    this.#started = true;
    // The service worker could not keep the files (storage full, unreadable post).
    if (shared === 'failed') toasts.error({ key: 'shared.not-kept' });
    onInboxChange(() => void this.#sync());
    $effect.root(() => {
      $effect(() => {
        if (session.status === 'signed-in') untrack(() => void this.#sync());
      });
    });
    void this.#sync();
  }

  async #sync(): Promise<void> {
    this.waiting = await inboxCount();
    if (session.status !== 'signed-in' || this.waiting === 0 || this.#queueing) return;
    this.#queueing = true;
    try {
      const queued = await drainInbox((files) => services.upload(services.rootId(), files));
      if (queued > 0) toasts.show({ key: 'shared.queued', params: { count: queued } });
    } catch (error) {
      toasts.error({ key: 'shared.queue-failed', params: { error: asServiceFailure(error) } });
    } finally {
      this.#queueing = false;
      this.waiting = await inboxCount();
    }
  }

  get notice(): Message | null {
    return this.waiting > 0 ? { key: 'shared.waiting', params: { count: this.waiting } } : null;
  }
}

export const sharedFiles = new SharedFiles();
