// The list behind `onTransfers`: one record per upload or download, and the one writer of each
// transfer's snapshot. Every change is told to subscribers as a typed event carrying the
// snapshot (contract `TransferEvent`): a new state or phase at once, figures alone at most a few
// times a second (progress arrives per chunk and would otherwise re-render the panel constantly).
// Speed is measured over a sliding window. A download the transfer quota refused is paused, not
// ended: its work waits on `pause` until `resume` or cancel.
import type {
  FailureValue,
  TransferEvent,
  TransferSnapshot,
  TransferState,
  TransferStep,
} from '../contract';
import { CancelledError } from '../platform/errors';
import { SpeedMeter } from './speed-meter';

const NOTIFY_INTERVAL_MS = 250;

interface Transfer {
  snapshot: TransferSnapshot;
  speed: SpeedMeter;
  controller: AbortController;
  /** Set while paused: resolving it lets the waiting work continue. */
  resumed: { promise: Promise<void>; resolve: () => void } | null;
}

type Listener = (event: TransferEvent) => void;

export class TransferList {
  private readonly transfers = new Map<string, Transfer>();
  private readonly listeners = new Set<Listener>();
  private readonly stopListeners = new Set<() => void>();
  /** Transfers whose figures changed since they were last told. */
  private readonly moved = new Set<string>();
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
    const snapshot: TransferSnapshot = {
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
    };
    this.transfers.set(id, { snapshot, speed: new SpeedMeter(), controller, resumed: null });
    this.emit({ type: 'added', transfer: { ...snapshot }, replayed: false });
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
    this.later(id);
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
    error: FailureValue | null = null,
  ): void {
    const transfer = this.transfers.get(id);
    if (!transfer || isEnded(transfer.snapshot.state)) return;
    this.update(id, (s) => end(s, state, error));
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
   * Pauses a transfer whose chunk the transfer quota refused, showing `reason` (the refusal).
   * Resolves when `resume` is called; rejects once the transfer is cancelled. Every chunk refused
   * while paused waits on the same pause.
   */
  pause(id: string, reason: FailureValue): Promise<void> {
    const transfer = this.transfers.get(id);
    if (!transfer || isEnded(transfer.snapshot.state)) return Promise.reject(new CancelledError());
    if (!transfer.resumed) {
      const { signal } = transfer.controller;
      let resolve = (): void => {};
      const promise = new Promise<void>((done, fail) => {
        resolve = done;
        signal.addEventListener('abort', () => fail(signal.reason), { once: true });
      });
      transfer.resumed = { promise, resolve };
      transfer.speed.reset();
      this.update(id, (s) => {
        s.state = 'paused';
        s.error = reason;
        s.speed = 0;
      });
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
    this.update(id, (s) => {
      s.state = 'running';
      s.error = null;
    });
    resolve();
  }

  /**
   * Sets what an outbox upload shows (the outbox drives its own state machine and maps it here);
   * speed is measured afresh after any change of state.
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
    if (stateChanged || phaseChanged) transfer.speed.reset();
    this.update(id, (snapshot) => {
      Object.assign(snapshot, patch);
      if (stateChanged || phaseChanged) snapshot.speed = 0;
    });
    if (stateChanged && s.state !== 'running' && s.state !== 'queued') this.stopped();
  }

  /** Drops a transfer from the list (an upload removed from the outbox). */
  remove(id: string): void {
    if (!this.transfers.delete(id)) return;
    this.moved.delete(id);
    this.emit({ type: 'removed', id });
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

  /** Stops everything and empties the list (log out): each transfer is told as removed. */
  cancelAll(): void {
    const transfers = [...this.transfers.values()];
    let stopped = false;
    for (const transfer of transfers) {
      if (isEnded(transfer.snapshot.state)) continue;
      end(transfer.snapshot, 'cancelled', null);
      transfer.controller.abort();
      stopped = true;
    }
    if (stopped) this.stopped();
    for (const { snapshot } of transfers) this.remove(snapshot.id);
  }

  /** Tells `listener` every change from now on, after an 'added' for each transfer listed now. */
  subscribe(listener: Listener): () => void {
    for (const { snapshot } of this.transfers.values())
      listener({ type: 'added', transfer: { ...snapshot }, replayed: true });
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` with one transfer now and after each change of it; with null once gone. */
  follow(id: string, listener: (transfer: TransferSnapshot | null) => void): () => void {
    const transfer = this.transfers.get(id);
    listener(transfer ? { ...transfer.snapshot } : null);
    if (!transfer) return () => undefined;
    const follower: Listener = (event) => {
      if (event.type === 'removed') {
        if (event.id === id) listener(null);
      } else if (event.transfer.id === id) listener(event.transfer);
    };
    this.listeners.add(follower);
    return () => this.listeners.delete(follower);
  }

  private stopped(): void {
    for (const listener of this.stopListeners) listener();
  }

  /** Changes a snapshot and tells it: a new state or phase at once, figures with the next batch. */
  private update(id: string, change: (snapshot: TransferSnapshot) => void): void {
    const transfer = this.transfers.get(id);
    if (!transfer) return;
    const s = transfer.snapshot;
    const was: TransferStep = { state: s.state, phase: s.phase };
    change(s);
    if (s.state === was.state && s.phase === was.phase) return this.later(id);
    this.moved.delete(id);
    const finished = isEnded(s.state) && !isEnded(was.state);
    this.emit(
      finished
        ? { type: 'finished', transfer: { ...s } }
        : { type: 'changed', transfer: { ...s }, was },
    );
  }

  private later(id: string): void {
    this.moved.add(id);
    if (this.timer !== null) return;
    const wait = Math.max(0, this.lastNotified + NOTIFY_INTERVAL_MS - performance.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.lastNotified = performance.now();
      const moved = [...this.moved];
      this.moved.clear();
      for (const id of moved) {
        const snapshot = this.transfers.get(id)?.snapshot;
        if (!snapshot) continue;
        const { state, phase } = snapshot;
        this.emit({ type: 'changed', transfer: { ...snapshot }, was: { state, phase } });
      }
    }, wait);
  }

  private emit(event: TransferEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

function isEnded(state: TransferState): boolean {
  return state === 'done' || state === 'failed' || state === 'cancelled';
}

function end(
  s: TransferSnapshot,
  state: Exclude<TransferState, 'queued' | 'running' | 'paused'>,
  error: FailureValue | null,
): void {
  s.state = state;
  s.error = state === 'failed' ? error : null;
  s.speed = 0;
  if (state === 'done') s.done = s.size;
}
