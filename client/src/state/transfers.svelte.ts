import { services } from '../services';
import type { TransferSnapshot } from '../services/contract';
import { announcer } from './announcer.svelte';

const FINISHED = new Set<TransferSnapshot['state']>(['done', 'failed', 'cancelled']);

export function isFinished(transfer: TransferSnapshot): boolean {
  return FINISHED.has(transfer.state);
}

type FinishListener = (transfer: TransferSnapshot) => void;

// Mirrors the services' transfer list. "Clear finished" is a view choice, so cleared ids are
// remembered here rather than asked of services.
class Transfers {
  #all = $state<TransferSnapshot[]>([]);
  #cleared = $state(new Set<string>());
  open = $state(false);
  expanded = $state(true);
  #lastState = new Map<string, TransferSnapshot['state']>();
  /** The first report may replay transfers from before a reload: list them, announce nothing. */
  #primed = false;
  #finishListeners = new Set<FinishListener>();
  #unsubscribe: (() => void) | null = null;

  readonly items = $derived(this.#all.filter((t) => !this.#cleared.has(t.id)));
  readonly active = $derived(this.items.filter((t) => !isFinished(t)));
  readonly hasFinished = $derived(this.items.some(isFinished));

  start(): void {
    this.#unsubscribe ??= services.onTransfers((snapshots) => this.#receive(snapshots));
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#all = [];
    this.#lastState.clear();
    this.#primed = false;
    this.open = false;
  }

  /** Called once per transfer when it reaches done, failed or cancelled. */
  onFinish(listener: FinishListener): () => void {
    this.#finishListeners.add(listener);
    return () => this.#finishListeners.delete(listener);
  }

  cancel(id: string): void {
    services.cancel(id);
  }

  /** Continues a download the transfer quota paused, from the chunk where it stopped. */
  resume(id: string): void {
    services.resumeTransfer(id);
  }

  clearFinished(): void {
    this.#cleared = new Set([...this.#cleared, ...this.items.filter(isFinished).map((t) => t.id)]);
    if (this.items.length === 0) this.open = false;
  }

  toggleExpanded(): void {
    this.expanded = !this.expanded;
  }

  close(): void {
    this.open = false;
  }

  #receive(snapshots: TransferSnapshot[]): void {
    let started = false;
    for (const transfer of snapshots) {
      const previous = this.#lastState.get(transfer.id);
      if (previous === undefined) started = true;
      if (previous !== transfer.state) {
        this.#lastState.set(transfer.id, transfer.state);
        if (this.#primed && transfer.state === 'paused') {
          announcer.say(`Download of ${transfer.name} paused. ${transfer.error ?? ''}`);
        }
        const wasFinished = previous !== undefined && FINISHED.has(previous);
        if (this.#primed && isFinished(transfer) && !wasFinished) {
          for (const listener of this.#finishListeners) listener(transfer);
        }
      }
    }
    this.#all = snapshots;
    const announce = this.#primed || snapshots.some((t) => !isFinished(t));
    this.#primed = true;
    if (started && announce) {
      this.open = true;
      this.expanded = true;
    }
  }
}

export const transfers = new Transfers();
