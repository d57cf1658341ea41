import { untrack } from 'svelte';
import { describeError, drainInbox, inboxCount, onInboxChange, services } from '../../services';
import { session } from '../app/session.svelte';
import { toasts } from '../app/toasts.svelte';

const plural = (n: number) => (n === 1 ? '1 shared file' : `${n} shared files`);

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
    if (shared === 'failed')
      toasts.error('Files shared to Coffre could not be kept on this device.');
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
      if (queued > 0) toasts.show(`${plural(queued)} added to your uploads.`);
    } catch (error) {
      toasts.error(`Shared files could not be queued: ${describeError(error)}`);
    } finally {
      this.#queueing = false;
      this.waiting = await inboxCount();
    }
  }

  get notice(): string | null {
    return this.waiting > 0 ? `${plural(this.waiting)} will be uploaded after you log in.` : null;
  }
}

export const sharedFiles = new SharedFiles();
