// The life of one outbox item as a pure state machine, so every transition can be tested without
// a browser. The upload service feeds it events; anything not listed for a state is ignored.
//
//   encrypting ──sealed──► queued ──start──► uploading ──committed──► done
//        │  └──start (chunks go out while later ones are sealed)──┘  │
//        └─fail─► failed ◄──fail── uploading ──transient──► retrying ──due──► queued
//   queued/uploading/retrying ──offline──► waiting-network ──online──► queued
//   queued/uploading/retrying/waiting-network ──pause──► paused ──resume──► queued
//   failed (retryable) ──retry──► queued

export type OutboxState =
  | 'encrypting'
  | 'queued'
  | 'waiting-network'
  | 'uploading'
  | 'retrying'
  | 'paused'
  | 'done'
  | 'failed';

export type OutboxEvent =
  | { type: 'sealed' }
  | { type: 'start' }
  | { type: 'offline' }
  | { type: 'online' }
  | { type: 'transient'; reason: string }
  | { type: 'due' }
  | { type: 'committed' }
  | { type: 'fail'; reason: string; retryable: boolean }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'retry' };

export interface ItemStatus {
  state: OutboxState;
  /** The last failure, shown while retrying and when failed. */
  reason: string | null;
  /** Transient failures in a row: drives the backoff; reset by progress, resume or retry. */
  attempts: number;
  retryable: boolean;
}

export function initialStatus(state: OutboxState = 'encrypting'): ItemStatus {
  return { state, reason: null, attempts: 0, retryable: false };
}

const PAUSABLE = new Set<OutboxState>(['queued', 'uploading', 'retrying', 'waiting-network']);

export function transition(status: ItemStatus, event: OutboxEvent): ItemStatus {
  const { state } = status;
  const to = (next: OutboxState, patch: Partial<ItemStatus> = {}): ItemStatus => ({
    ...status,
    state: next,
    ...patch,
  });
  switch (event.type) {
    case 'sealed':
      return state === 'encrypting' ? to('queued') : status;
    case 'start':
      return state === 'queued' || state === 'encrypting' ? to('uploading') : status;
    case 'offline':
      return state === 'queued' || state === 'uploading' || state === 'retrying'
        ? to('waiting-network')
        : status;
    case 'online':
      return state === 'waiting-network' ? to('queued') : status;
    case 'transient':
      return state === 'uploading'
        ? to('retrying', { reason: event.reason, attempts: status.attempts + 1 })
        : status;
    case 'due':
      return state === 'retrying' ? to('queued') : status;
    case 'committed':
      return state === 'uploading' ? to('done', { reason: null }) : status;
    case 'fail':
      return state === 'done' || state === 'failed'
        ? status
        : to('failed', { reason: event.reason, retryable: event.retryable });
    case 'pause':
      return PAUSABLE.has(state) ? to('paused') : status;
    case 'resume':
      return state === 'paused' ? to('queued', { attempts: 0, reason: null }) : status;
    case 'retry':
      return state === 'failed' && status.retryable
        ? to('queued', { attempts: 0, reason: null })
        : status;
  }
}

/** Whether the drain may pick this item up now. */
export function isSendable(state: OutboxState): boolean {
  return state === 'queued';
}

/** Still on its way: shown in the folder as "Waiting to upload" or "Uploading n %". */
export function isPending(state: OutboxState): boolean {
  return state !== 'done' && state !== 'failed';
}
