// What the transfers panel shows for an outbox item: its machine state mapped onto the
// snapshot's state, phase and byte count.
import { plainChunkSize } from '@coffre/core/format';
import type { TransferSnapshot, UploadPhase } from '../contract/index';
import type { OutboxItem } from './item';

type TransferView = Partial<Pick<TransferSnapshot, 'state' | 'error' | 'done' | 'canRetry'>> & {
  phase: UploadPhase | null;
};

export function transferView(item: OutboxItem): TransferView {
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
