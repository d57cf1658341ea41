import { services } from '../../services';
import type { DeviceStorage, TransferEvent, TransferSnapshot, TransferStep } from '../../services';
import { announcer } from '../app/announcer.svelte';

const FINISHED = new Set<TransferSnapshot['state']>(['done', 'failed', 'cancelled']);

export function isFinished(transfer: TransferSnapshot): boolean {
  return FINISHED.has(transfer.state);
}

type FinishListener = (transfer: TransferSnapshot) => void;

// Follows the services' transfer list through the events it tells. "Clear finished" is a view
// choice, so cleared ids are remembered here rather than asked of services.
class TransfersPanelState {
  #all = $state.raw<TransferSnapshot[]>([]);
  #cleared = $state(new Set<string>());
  open = $state(false);
  expanded = $state(true);
  #finishListeners = new Set<FinishListener>();
  #unsubscribe: (() => void) | null = null;

  readonly items = $derived(this.#all.filter((t) => !this.#cleared.has(t.id)));
  readonly active = $derived(this.items.filter((t) => !isFinished(t)));
  readonly hasFinished = $derived(this.items.some(isFinished));
  /** Uploads still in the outbox (queued, sending, paused). */
  readonly pendingUploads = $derived(this.active.filter((t) => t.kind === 'upload'));
  /** This browser's storage and what the outbox holds; refreshed while the panel is open. */
  device = $state<DeviceStorage | null>(null);

  start(): void {
    this.#unsubscribe ??= services.onTransfers((event) => this.#receive(event));
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#all = [];
    this.open = false;
  }

  /** Called once per transfer each time it reaches done, failed or cancelled. */
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

  #receive(event: TransferEvent): void {
    switch (event.type) {
      case 'added':
        this.#all = [...this.#all, event.transfer];
        // Listed before this page subscribed (before a reload): shown only if still on its way.
        if (!event.replayed || !isFinished(event.transfer)) {
          this.open = true;
          this.expanded = true;
        }
        return;
      case 'changed':
        this.#replace(event.transfer);
        return this.#announce(event.transfer, event.was);
      case 'finished':
        this.#replace(event.transfer);
        for (const listener of this.#finishListeners) listener(event.transfer);
        return;
      case 'removed':
        this.#all = this.#all.filter((t) => t.id !== event.id);
    }
  }

  #replace(transfer: TransferSnapshot): void {
    this.#all = this.#all.map((t) => (t.id === transfer.id ? transfer : t));
  }

  // Uploads wait, pause and retry on their own; each change of what they wait for is said once.
  #announce(t: TransferSnapshot, was: TransferStep): void {
    const paused = t.state === 'paused' && was.state !== 'paused';
    const { name } = t;
    if (t.kind === 'download') {
      if (paused) announcer.say({ key: 'transfer.paused', params: { name, reason: t.error } });
      return;
    }
    const phaseChanged = t.phase !== was.phase;
    if (paused) announcer.say({ key: 'upload.paused', params: { name } });
    else if (phaseChanged && t.phase === 'waiting-network')
      announcer.say({ key: 'upload.waiting-network', params: { name } });
    else if (phaseChanged && t.phase === 'uploading' && was.state !== 'running')
      announcer.say({ key: 'upload.uploading', params: { name } });
  }
}

export const transfers = new TransfersPanelState();
