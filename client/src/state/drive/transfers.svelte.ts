import { services } from '../../services';
import type { DeviceStorage, TransferSnapshot } from '../../services/contract/index';
import { announcer } from '../app/announcer.svelte';

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
  /** Uploads still in the outbox (queued, sending, paused). */
  readonly pendingUploads = $derived(this.active.filter((t) => t.kind === 'upload'));
  /** This browser's storage and what the outbox holds; refreshed while the panel is open. */
  device = $state<DeviceStorage | null>(null);
  #lastPhase = new Map<string, TransferSnapshot['phase']>();

  start(): void {
    this.#unsubscribe ??= services.onTransfers((snapshots) => this.#receive(snapshots));
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#all = [];
    this.#lastState.clear();
    this.#lastPhase.clear();
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

  /** Continues a paused transfer: a download the transfer quota paused, or a paused upload. */
  resume(transfer: TransferSnapshot): void {
    if (transfer.kind === 'upload') services.resumeUpload(transfer.id);
    else services.resumeTransfer(transfer.id);
  }

  pauseUpload(id: string): void {
    services.pauseUpload(id);
  }

  retryUpload(id: string): void {
    services.retryUpload(id);
  }

  pauseAllUploads(): void {
    services.pauseUpload(null);
  }

  resumeAllUploads(): void {
    services.resumeUpload(null);
  }

  cancelAllUploads(): void {
    services.cancelAllUploads();
  }

  /** Uploads still on their way into this folder, for the folder view. */
  pendingIn(folderId: string): TransferSnapshot[] {
    return this.pendingUploads.filter((t) => t.parentId === folderId);
  }

  async refreshDevice(): Promise<void> {
    try {
      this.device = await services.deviceStorage();
    } catch {
      this.device = null;
    }
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

  // Uploads wait, pause and retry on their own; each change of what they wait for is said once.
  #announceUpload(t: TransferSnapshot, previous: TransferSnapshot['state'] | undefined): void {
    if (previous === undefined) return;
    const phaseChanged = this.#lastPhase.get(t.id) !== t.phase;
    if (previous !== t.state && t.state === 'paused') announcer.say(`Upload of ${t.name} paused.`);
    else if (phaseChanged && t.phase === 'waiting-network')
      announcer.say(`Upload of ${t.name} is waiting for the network.`);
    else if (phaseChanged && t.phase === 'uploading' && previous !== 'running')
      announcer.say(`Uploading ${t.name}.`);
  }

  #receive(snapshots: TransferSnapshot[]): void {
    let started = false;
    for (const transfer of snapshots) {
      const previous = this.#lastState.get(transfer.id);
      if (previous === undefined) started = true;
      if (this.#primed && transfer.kind === 'upload') this.#announceUpload(transfer, previous);
      this.#lastPhase.set(transfer.id, transfer.phase);
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
