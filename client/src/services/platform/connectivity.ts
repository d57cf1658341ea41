// Whether the browser is online, and the moments the upload outbox should be drained: the
// `online` event, and a Background Sync the browser fires when it judges the network usable
// (Chromium; the service worker relays it to open pages as OUTBOX_SYNC). The page does the
// sending itself, since only a page holds the session token.
import { OUTBOX_SYNC, OUTBOX_SYNC_TAG } from './sw-messages';

/** Background Sync is not in TypeScript's DOM library yet. */
interface SyncRegistration {
  sync?: { register(tag: string): Promise<void> };
}

export class Connectivity {
  private readonly listeners = new Set<(online: boolean) => void>();

  constructor() {
    window.addEventListener('online', () => this.notify());
    window.addEventListener('offline', () => this.notify());
    navigator.serviceWorker?.addEventListener('message', (event: MessageEvent<unknown>) => {
      const data = event.data;
      if (data && typeof data === 'object' && 'type' in data && data.type === OUTBOX_SYNC.type)
        this.notify();
    });
  }

  get online(): boolean {
    return navigator.onLine;
  }

  /** Called with the current state on every change (and on a Background Sync wake-up). */
  subscribe(listener: (online: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Asks the browser to wake the app when the network is back (ignored where unsupported). */
  async requestSync(): Promise<void> {
    try {
      const registration = (await navigator.serviceWorker?.getRegistration()) as
        (ServiceWorkerRegistration & SyncRegistration) | undefined;
      await registration?.sync?.register(OUTBOX_SYNC_TAG);
    } catch {
      // Refused (no permission, no service worker): the `online` event and app start still drain.
    }
  }

  private notify(): void {
    for (const listener of this.listeners) listener(this.online);
  }
}
