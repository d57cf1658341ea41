// The registry behind `onTransfers`: one record per upload or download, change notifications
// throttled to a few per second (progress arrives per chunk and would otherwise re-render the
// panel constantly), and speed measured over a sliding window. A download the transfer quota
// refused is paused, not ended: its work waits on `pause` until `resume` or cancel.
import type { TransferSnapshot, TransferState } from '../contract/index';
import { SpeedMeter } from './speed-meter';

const NOTIFY_INTERVAL_MS = 250;

interface Transfer {
  snapshot: TransferSnapshot;
  speed: SpeedMeter;
  controller: AbortController;
  /** Set while paused: resolving it lets the waiting work continue. */
  resumed: { promise: Promise<void>; resolve: () => void } | null;
}

type Listener = (transfers: TransferSnapshot[]) => void;

export class Transfers {
  private readonly transfers = new Map<string, Transfer>();
  private readonly listeners = new Set<Listener>();
  private readonly stopListeners = new Set<() => void>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastNotified = 0;

  /** Registers a transfer; its AbortController's signal stops the work when cancelled. */
  add(
    kind: TransferSnapshot['kind'],
    name: string,
    size: number,
    parentId: string | null,
    id: string = crypto.randomUUID(),
  ): {
    id: string;
    signal: AbortSignal;
  } {
    const controller = new AbortController();
    this.transfers.set(id, {
      snapshot: {
        id,
        kind,
        name,
        size,
        done: 0,
        speed: 0,
        state: 'queued',
        error: null,
        parentId,
        phase: null,
        canRetry: false,
        fromPeers: 0,
        fromServer: 0,
      },
      speed: new SpeedMeter(),
      controller,
      resumed: null,
    });
    this.changed();
    return { id, signal: controller.signal };
  }

  start(id: string): void {
    this.update(id, (s) => (s.state = 'running'));
  }

  progress(id: string, bytes: number): void {
    const transfer = this.transfers.get(id);
    // A chunk read ahead may still land after another one paused the transfer.
    if (
      !transfer ||
      (transfer.snapshot.state !== 'running' && transfer.snapshot.state !== 'paused')
    )
      return;
    transfer.snapshot.done = Math.min(transfer.snapshot.size, transfer.snapshot.done + bytes);
    transfer.snapshot.speed = transfer.speed.record(transfer.snapshot.done);
    this.changed();
  }

  /** Counts a verified chunk's sealed bytes by where they came from. */
  tally(id: string, origin: 'peer' | 'server', bytes: number): void {
    this.update(id, (s) => {
      if (origin === 'peer') s.fromPeers += bytes;
      else s.fromServer += bytes;
    });
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
    state: Exclude<TransferState, 'queued' | 'running' | 'paused'>,
    error: string | null = null,
  ): void {
    const transfer = this.transfers.get(id);
    if (!transfer || isEnded(transfer.snapshot.state)) return;
    const s = transfer.snapshot;
    s.state = state;
    s.error = state === 'failed' ? error : null;
    s.speed = 0;
    if (state === 'done') s.done = s.size;
    // Stops what a failed transfer still had in flight (chunks read ahead, parallel lanes).
    if (state === 'failed') transfer.controller.abort();
    this.stopped();
  }

  cancel(id: string): void {
    const transfer = this.transfers.get(id);
    if (!transfer || isEnded(transfer.snapshot.state)) return;
    this.finish(id, 'cancelled');
    transfer.controller.abort();
  }

  /**
   * Pauses a transfer whose chunk the transfer quota refused, showing `reason` (the server's
   * sentence). Resolves when `resume` is called; rejects once the transfer is cancelled. Every
   * chunk refused while paused waits on the same pause.
   */
  pause(id: string, reason: string): Promise<void> {
    const transfer = this.transfers.get(id);
    if (!transfer || isEnded(transfer.snapshot.state))
      return Promise.reject(new DOMException('Cancelled.', 'AbortError'));
    if (!transfer.resumed) {
      const { signal } = transfer.controller;
      let resolve = (): void => {};
      const promise = new Promise<void>((done, fail) => {
        resolve = done;
        signal.addEventListener('abort', () => fail(signal.reason), { once: true });
      });
      transfer.resumed = { promise, resolve };
      const s = transfer.snapshot;
      s.state = 'paused';
      s.error = reason;
      s.speed = 0;
      transfer.speed.reset();
      this.stopped();
    }
    return transfer.resumed.promise;
  }

  /** Continues a paused transfer from the chunk where it stopped; refused again, it pauses again. */
  resume(id: string): void {
    const transfer = this.transfers.get(id);
    if (!transfer?.resumed || transfer.snapshot.state !== 'paused') return;
    const { resolve } = transfer.resumed;
    transfer.resumed = null;
    transfer.snapshot.state = 'running';
    transfer.snapshot.error = null;
    this.changed();
    resolve();
  }

  /**
   * Sets what an outbox upload shows (the upload service drives its own state machine and maps it
   * here); speed is measured afresh after any change of state.
   */
  show(
    id: string,
    patch: Partial<
      Pick<TransferSnapshot, 'state' | 'phase' | 'error' | 'done' | 'canRetry' | 'parentId'>
    >,
  ): void {
    const transfer = this.transfers.get(id);
    if (!transfer) return;
    const s = transfer.snapshot;
    const stateChanged = patch.state !== undefined && patch.state !== s.state;
    const phaseChanged = patch.phase !== undefined && patch.phase !== s.phase;
    Object.assign(s, patch);
    if (stateChanged || phaseChanged) {
      s.speed = 0;
      transfer.speed.reset();
    }
    if (stateChanged && s.state !== 'running' && s.state !== 'queued') this.stopped();
    else this.changed();
  }

  /** Drops a transfer from the list (an upload removed from the outbox). */
  remove(id: string): void {
    if (this.transfers.delete(id)) this.changed();
  }

  has(id: string): boolean {
    return this.transfers.has(id);
  }

  isEnded(id: string): boolean {
    const transfer = this.transfers.get(id);
    return transfer !== undefined && isEnded(transfer.snapshot.state);
  }

  isPaused(id: string): boolean {
    return this.transfers.get(id)?.snapshot.state === 'paused';
  }

  /** Called whenever a transfer stops (done, failed, cancelled or paused): usage may have changed. */
  onStop(listener: () => void): () => void {
    this.stopListeners.add(listener);
    return () => this.stopListeners.delete(listener);
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

  private stopped(): void {
    this.changed();
    for (const listener of this.stopListeners) listener();
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

function isEnded(state: TransferState): boolean {
  return state === 'done' || state === 'failed' || state === 'cancelled';
}
