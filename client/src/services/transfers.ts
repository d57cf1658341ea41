// The registry behind `onTransfers`: one record per upload or download, change notifications
// throttled to a few per second (progress arrives per chunk and would otherwise re-render the
// panel constantly), and speed measured over a sliding window.
import type { TransferSnapshot, TransferState } from './contract';

const NOTIFY_INTERVAL_MS = 250;
const SPEED_WINDOW_MS = 3000;

interface Sample {
  at: number;
  done: number;
}

interface Transfer {
  snapshot: TransferSnapshot;
  samples: Sample[];
  controller: AbortController;
}

type Listener = (transfers: TransferSnapshot[]) => void;

export class Transfers {
  private readonly transfers = new Map<string, Transfer>();
  private readonly listeners = new Set<Listener>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastNotified = 0;

  /** Registers a transfer; its AbortController's signal stops the work when cancelled. */
  add(
    kind: TransferSnapshot['kind'],
    name: string,
    size: number,
    parentId: string | null,
  ): {
    id: string;
    signal: AbortSignal;
  } {
    const id = crypto.randomUUID();
    const controller = new AbortController();
    this.transfers.set(id, {
      snapshot: { id, kind, name, size, done: 0, speed: 0, state: 'queued', error: null, parentId },
      samples: [],
      controller,
    });
    this.changed();
    return { id, signal: controller.signal };
  }

  start(id: string): void {
    this.update(id, (s) => (s.state = 'running'));
  }

  progress(id: string, bytes: number): void {
    const transfer = this.transfers.get(id);
    if (!transfer || transfer.snapshot.state !== 'running') return;
    transfer.snapshot.done = Math.min(transfer.snapshot.size, transfer.snapshot.done + bytes);
    const now = performance.now();
    transfer.samples.push({ at: now, done: transfer.snapshot.done });
    while (transfer.samples.length > 2 && now - transfer.samples[0]!.at > SPEED_WINDOW_MS) {
      transfer.samples.shift();
    }
    const first = transfer.samples[0]!;
    const elapsed = (now - first.at) / 1000;
    transfer.snapshot.speed = elapsed > 0.2 ? (transfer.snapshot.done - first.done) / elapsed : 0;
    this.changed();
  }

  /** Sets name and total once they are verified (a download learns them from its manifest). */
  identify(id: string, name: string, size: number): void {
    this.update(id, (s) => {
      s.name = name;
      s.size = size;
    });
  }

  finish(
    id: string,
    state: Exclude<TransferState, 'queued' | 'running'>,
    error: string | null = null,
  ): void {
    this.update(id, (s) => {
      if (s.state === 'cancelled' || s.state === 'done' || s.state === 'failed') return;
      s.state = state;
      s.error = state === 'failed' ? error : null;
      s.speed = 0;
      if (state === 'done') s.done = s.size;
    });
  }

  cancel(id: string): void {
    const transfer = this.transfers.get(id);
    if (!transfer) return;
    const { state } = transfer.snapshot;
    if (state === 'queued' || state === 'running') {
      this.finish(id, 'cancelled');
      transfer.controller.abort();
    }
  }

  /** Cancels everything (log out). */
  cancelAll(): void {
    for (const id of this.transfers.keys()) this.cancel(id);
    this.transfers.clear();
    this.changed();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    listener(this.snapshots());
    return () => this.listeners.delete(listener);
  }

  private update(id: string, change: (snapshot: TransferSnapshot) => void): void {
    const transfer = this.transfers.get(id);
    if (!transfer) return;
    change(transfer.snapshot);
    this.changed();
  }

  private snapshots(): TransferSnapshot[] {
    return [...this.transfers.values()].map((t) => ({ ...t.snapshot }));
  }

  private changed(): void {
    if (this.timer !== null) return;
    const wait = Math.max(0, this.lastNotified + NOTIFY_INTERVAL_MS - performance.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.lastNotified = performance.now();
      const snapshots = this.snapshots();
      for (const listener of this.listeners) listener(snapshots);
    }, wait);
  }
}
