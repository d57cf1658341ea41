// Chromium's install offer: `beforeinstallprompt` means the app can be installed and is not yet.
// Our own Install button replaces the browser's banner, and goes once the app is installed or
// runs installed (standalone).
interface InstallPromptEvent extends Event {
  prompt(): Promise<void>;
  userChoice: Promise<{ outcome: 'accepted' | 'dismissed' }>;
}

class Install {
  available = $state(false);
  #offer: InstallPromptEvent | null = null;

  start(): void {
    if (matchMedia('(display-mode: standalone)').matches) return;
    addEventListener('beforeinstallprompt', (event) => {
      event.preventDefault();
      this.#offer = event as InstallPromptEvent;
      this.available = true;
    });
    addEventListener('appinstalled', () => {
      this.#offer = null;
      this.available = false;
    });
  }

  /** An offer can be shown once; the browser fires a new one later if the person declines. */
  async install(): Promise<void> {
    const offer = this.#offer;
    if (!offer) return;
    this.#offer = null;
    this.available = false;
    await offer.prompt();
  }
}

export const install = new Install();
