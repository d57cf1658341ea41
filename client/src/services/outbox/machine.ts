// The life of one outbox item as a pure state machine, so every transition can be tested without
// a browser. The repository applies every status change through `transition`; nothing else
// writes an item's status.
//
//   encrypting ──sealed──► queued ──start──► uploading ──committed──► done
//        │  └──start (chunks go out while later ones are sealed)──┘  │
//        └─fail─► failed ◄──fail── uploading ──transient──► retrying ──due──► queued
//   queued/uploading/retrying ──offline──► waiting-network ──online──► queued
//   queued/uploading/retrying/waiting-network ──pause──► paused ──resume──► queued
//   failed (retryable) ──retry──► queued
//
// Another tab of the account may be the one sending (outbox/tabs.ts): its news moves a listed
// item too ('sent-elsewhere', 'committed-elsewhere'), and an item it left half sent is taken
// over ('orphaned'). Each event lists the states it moves and the states where it may still
// arrive and changes nothing (a timer, a chunk in flight, late news); in any other state it is
// a bug, and `transition` throws.
import type { FailureValue } from '../contract';

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
  | { type: 'transient'; reason: FailureValue }
  | { type: 'due' }
  /** The server acknowledged a chunk this page sent. */
  | { type: 'acked' }
  | { type: 'committed' }
  | { type: 'fail'; reason: FailureValue; retryable: boolean }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'retry' }
  /** Another tab is sending it. */
  | { type: 'sent-elsewhere' }
  /** Another tab committed it. */
  | { type: 'committed-elsewhere' }
  /** Shown as sending, but no tab sends it any more: this one takes it over. */
  | { type: 'orphaned' };

export interface ItemStatus {
  readonly state: OutboxState;
  /** The last failure, shown while retrying and when failed. */
  readonly reason: FailureValue | null;
  /** Transient failures in a row: drives the backoff; reset by progress, resume or retry. */
  readonly attempts: number;
  readonly retryable: boolean;
}

/** Thrown for an event the item's state neither moves on nor may receive: a bug, not a state. */
export class OutboxTransitionError extends Error {
  override readonly name = 'OutboxTransitionError';
  constructor(state: OutboxState, event: OutboxEvent['type']) {
    super(`'${event}' is not a transition of an outbox item that is ${state}`);
  }
}

type EventOf<T extends OutboxEvent['type']> = Extract<OutboxEvent, { type: T }>;

interface Rule<E extends OutboxEvent> {
  /** Where the event takes an item, from each state it acts on. */
  moves: Partial<Record<OutboxState, OutboxState>>;
  /** States where the event may arrive and changes nothing. */
  ignored: readonly OutboxState[];
  /** What else the move sets. */
  patch?: (status: ItemStatus, event: E) => Partial<ItemStatus>;
  /** Moves only when this holds; otherwise the event changes nothing. */
  when?: (status: ItemStatus) => boolean;
}

const STATES: readonly OutboxState[] = [
  'encrypting',
  'queued',
  'waiting-network',
  'uploading',
  'retrying',
  'paused',
  'done',
  'failed',
];

/** Every state but these. */
function except(...states: OutboxState[]): OutboxState[] {
  return STATES.filter((state) => !states.includes(state));
}

/** Moves from each of `states` to `target`. */
function all(states: readonly OutboxState[], target: OutboxState): Rule<OutboxEvent>['moves'] {
  return Object.fromEntries(states.map((state) => [state, target]));
}

const PAUSABLE = ['queued', 'uploading', 'retrying', 'waiting-network'] as const;

const RULES: { [T in OutboxEvent['type']]: Rule<EventOf<T>> } = {
  // Chunks may already be going out (or be paused, or have failed) when the last one is sealed.
  sealed: { moves: { encrypting: 'queued' }, ignored: except('encrypting') },
  start: { moves: { encrypting: 'uploading', queued: 'uploading' }, ignored: ['done'] },
  // Applied to every listed item: encryption needs no network, an ended item has no more use.
  offline: {
    moves: { queued: 'waiting-network', uploading: 'waiting-network', retrying: 'waiting-network' },
    ignored: ['encrypting', 'waiting-network', 'paused', 'done', 'failed'],
  },
  online: { moves: { 'waiting-network': 'queued' }, ignored: except('waiting-network') },
  // A send that went on while the network came and went ends after its item was queued again.
  transient: {
    moves: { uploading: 'retrying' },
    ignored: ['queued', 'waiting-network', 'done'],
    patch: (status, event) => ({ reason: event.reason, attempts: status.attempts + 1 }),
  },
  // The backoff timer outlives a change of state (offline, paused, sent meanwhile).
  due: { moves: { retrying: 'queued' }, ignored: except('retrying') },
  // A chunk in flight may land after its send was paused, cut off or stopped.
  acked: {
    moves: {
      uploading: 'uploading',
      queued: 'queued',
      'waiting-network': 'waiting-network',
      retrying: 'retrying',
      paused: 'paused',
    },
    ignored: ['done', 'failed'],
    patch: () => ({ attempts: 0 }),
  },
  committed: {
    moves: { uploading: 'done' },
    ignored: ['queued', 'waiting-network', 'done'],
    patch: () => ({ reason: null }),
  },
  fail: {
    moves: all(except('done', 'failed'), 'failed'),
    ignored: ['done', 'failed'],
    patch: (_status, event) => ({ reason: event.reason, retryable: event.retryable }),
  },
  pause: {
    moves: all(PAUSABLE, 'paused'),
    ignored: ['encrypting', 'paused', 'done', 'failed'],
  },
  resume: {
    moves: { paused: 'queued' },
    ignored: ['queued'],
    patch: () => ({ attempts: 0, reason: null }),
  },
  retry: {
    moves: { failed: 'queued' },
    ignored: [],
    when: (status) => status.retryable,
    patch: () => ({ attempts: 0, reason: null }),
  },
  'sent-elsewhere': {
    moves: { queued: 'uploading', 'waiting-network': 'uploading' },
    ignored: ['uploading', 'retrying', 'paused', 'done', 'failed'],
  },
  'committed-elsewhere': {
    moves: all(except('encrypting', 'done'), 'done'),
    ignored: ['done'],
    patch: () => ({ reason: null }),
  },
  orphaned: { moves: { uploading: 'queued', retrying: 'queued' }, ignored: [] },
};

export function initialStatus(state: OutboxState = 'encrypting'): ItemStatus {
  return Object.freeze({ state, reason: null, attempts: 0, retryable: false });
}

/** The status after `event`: the same object when the event changes nothing. */
export function transition(status: ItemStatus, event: OutboxEvent): ItemStatus {
  const rule = RULES[event.type] as Rule<OutboxEvent>;
  const next = rule.moves[status.state];
  if (next !== undefined && (rule.when?.(status) ?? true)) {
    return Object.freeze({ ...status, state: next, ...rule.patch?.(status, event) });
  }
  if (next !== undefined || rule.ignored.includes(status.state)) return status;
  throw new OutboxTransitionError(status.state, event.type);
}

/** Whether the drain may pick this item up now. */
export function isSendable(state: OutboxState): boolean {
  return state === 'queued';
}

/** Still on its way: shown in the folder as "Waiting to upload" or "Uploading n %". */
export function isPending(state: OutboxState): boolean {
  return state !== 'done' && state !== 'failed';
}
