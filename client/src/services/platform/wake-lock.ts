// Keeps the screen (and so the tab) awake while uploads run, where the Screen Wake Lock API
// exists. The browser drops the lock when the tab is hidden; it is taken again on return.
export class UploadWakeLock {
  private wanted = false;
  private sentinel: WakeLockSentinel | null = null;

  constructor() {
    document.addEventListener('visibilitychange', () => void this.sync());
  }

  set(active: boolean): void {
    if (active === this.wanted) return;
    this.wanted = active;
    void this.sync();
  }

  private async sync(): Promise<void> {
    if (this.wanted && !this.sentinel && document.visibilityState === 'visible') {
      try {
        const sentinel = await navigator.wakeLock?.request('screen');
        if (!sentinel) return;
        this.sentinel = sentinel;
        sentinel.addEventListener('release', () => {
          if (this.sentinel === sentinel) this.sentinel = null;
        });
        // Uploads ended while the request was pending.
        if (!this.wanted) await this.release();
      } catch {
        // Refused (battery saver, policy): uploads continue without it.
      }
    } else if (!this.wanted) {
      await this.release();
    }
  }

  private async release(): Promise<void> {
    const sentinel = this.sentinel;
    this.sentinel = null;
    await sentinel?.release().catch(() => undefined);
  }
}
