// What the transfers panel shows of the outbox: it follows the repository's changes and maps each
// item's machine state onto its transfer's state, phase and byte count. Files not yet (or no
// longer) in the outbox — waiting their turn to be sealed, refused, cancelled — are shown through
// it too, so the queue never writes the transfer list itself.
import { plainChunkSize } from '@coffre/core/format';
import type { TransferSnapshot, UploadPhase } from '../contract';
import { failureValue } from '../platform/errors';
import type { TransferList } from '../transfers/transfer-list';
import type { ItemChange, OutboxItem } from './item';
import type { OutboxRepository } from './repository';

type TransferView = Partial<Pick<TransferSnapshot, 'state' | 'error' | 'done' | 'canRetry'>> & {
  phase: UploadPhase | null;
};

export class OutboxView {
  constructor(
    private readonly transfers: TransferList,
    repository: OutboxRepository,
  ) {
    repository.subscribe((item, change) => this.follow(item, change));
  }

  /** A file about to be sealed: listed at once, as encrypting. */
  adding(file: File, parentId: string): { id: string; signal: AbortSignal } {
    const job = this.transfers.add('upload', file.name, file.size, parentId);
    this.transfers.show(job.id, { phase: 'encrypting' });
    return job;
  }

  /** The folder it goes into, once made (a folder upload makes its folders first). */
  placed(id: string, folderId: string): void {
    this.transfers.show(id, { parentId: folderId });
  }

  /** It could not be queued; `error` says why. */
  refused(id: string, error: unknown): void {
    this.transfers.show(id, { state: 'failed', phase: null, error: failureValue(error) });
  }

  /** Cancels a file that is not in the outbox (waiting its turn, or refused when added). */
  cancelled(id: string): void {
    if (this.transfers.isEnded(id)) this.transfers.remove(id);
    else this.transfers.cancel(id);
  }

  /** An item left the outbox: `shown` is its last state in the list, or null to drop it. */
  dropped(id: string, shown: 'cancelled' | null): void {
    if (shown === null) this.transfers.remove(id);
    else this.transfers.show(id, { state: shown, phase: null, error: null });
  }

  private follow(item: OutboxItem, change: ItemChange): void {
    const { id, name, size, parentId } = item.record;
    switch (change.type) {
      case 'unlisted':
        return;
      case 'chunk-acked':
        // Counted as it lands, so the list measures the speed.
        return this.transfers.progress(id, plainChunkSize(size, change.index));
      case 'listed':
        // Read back from the store (after a reload, or added in another tab).
        if (!this.transfers.has(id)) this.transfers.add('upload', name, size, parentId, id);
    }
    this.transfers.show(id, transferView(item));
  }
}

function transferView(item: OutboxItem): TransferView {
  const { state, reason, retryable } = item.status;
  const acked = [...item.acked].reduce((sum, i) => sum + plainChunkSize(item.record.size, i), 0);
  const view: TransferView = {
    phase: null,
    error: null,
    canRetry: false,
    done: acked,
  };
  switch (state) {
    case 'encrypting':
      Object.assign(view, { state: 'running', phase: 'encrypting', done: item.sealedBytes });
      break;
    case 'queued':
      view.state = 'queued';
      break;
    case 'waiting-network':
      Object.assign(view, { state: 'queued', phase: 'waiting-network' });
      break;
    case 'retrying':
      Object.assign(view, { state: 'queued', phase: 'retrying', error: reason });
      break;
    case 'uploading':
      Object.assign(view, { state: 'running', phase: 'uploading' });
      break;
    case 'paused':
      view.state = 'paused';
      break;
    case 'done':
      Object.assign(view, { state: 'done', done: item.record.size });
      break;
    case 'failed':
      Object.assign(view, { state: 'failed', error: reason, canRetry: retryable });
      break;
  }
  return view;
}
