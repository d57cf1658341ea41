// `onUsage`: fresh usage whenever it may have changed, so a plan the operator changed, a finished
// transfer or a purge shows without a reload. It only asks the server while someone listens and a
// session is open: after each transfer stops, when the window regains focus or becomes visible,
// and every POLL_MS while the page is visible.
import type { Usage } from '../contract';

const POLL_MS = 15_000;

type Listener = (usage: Usage) => void;

export class UsageFeed {
  private readonly listeners = new Set<Listener>();
  private last: Usage | null = null;
  private open = false;
  /** Bumped at every log-in and log-out: an answer for an earlier session is dropped. */
  private generation = 0;
  private inFlight = false;
  private again = false;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly fetchUsage: () => Promise<Usage>) {}

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    this.watch();
    if (this.last) listener(this.last);
    else this.refresh();
    return () => {
      this.listeners.delete(listener);
      this.watch();
    };
  }

  /** The session opened or closed. */
  setOpen(open: boolean): void {
    this.open = open;
    this.generation++;
    this.last = null;
    this.watch();
  }

  /** Something that changes usage happened; asks once, or once more after the request in flight. */
  refresh(): void {
    if (!this.active()) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    const generation = this.generation;
    this.fetchUsage()
      .then(
        (usage) => {
          if (generation !== this.generation || !this.active()) return;
          this.last = usage;
          for (const listener of this.listeners) listener(usage);
        },
        (error: unknown) => console.warn('usage refresh failed', error),
      )
      .finally(() => {
        this.inFlight = false;
        if (!this.again) return;
        this.again = false;
        this.refresh();
      });
  }

  private active(): boolean {
    return this.open && this.listeners.size > 0;
  }

  /** Starts or stops polling and the focus and visibility listeners to match `active()`. */
  private watch(): void {
    if (this.active() && this.timer === null) {
      this.timer = setInterval(this.whenVisible, POLL_MS);
      window.addEventListener('focus', this.whenVisible);
      document.addEventListener('visibilitychange', this.whenVisible);
      this.refresh();
    } else if (!this.active() && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
      window.removeEventListener('focus', this.whenVisible);
      document.removeEventListener('visibilitychange', this.whenVisible);
    }
  }

  private readonly whenVisible = (): void => {
    if (document.visibilityState === 'visible') this.refresh();
  };
}
