// One outbox item as this page holds it: the stored record, its place in the state machine, and
// what this page knows of its chunks. The repository (repository.ts) writes it; the queue, the
// sealing, the sender and the view read it through this shape.
import type { OutboxRecord } from '../platform/local-db';
import type { ItemStatus, OutboxEvent } from './machine';

/** Chunks of one file sealed, or sent, at once: keeps the workers and the line busy. */
export const CHUNKS_IN_FLIGHT = 4;

export interface OutboxItem {
  readonly record: Readonly<OutboxRecord>;
  readonly status: ItemStatus;
  /** Chunk ids by index, as sealed. */
  readonly ids: readonly string[];
  readonly acked: ReadonlySet<number>;
  readonly sealedBytes: number;
}

/** What changed in an item, as the repository tells it once memory and IndexedDB agree. */
export type ItemChange =
  /** Stored and listed in this page. */
  | { type: 'listed' }
  /** A transition of the state machine. */
  | { type: 'status'; event: OutboxEvent }
  | { type: 'chunk-sealed'; index: number }
  /** Every chunk and the manifest are stored (the 'sealed' transition applied). */
  | { type: 'sealed' }
  /** The server acknowledged a chunk this page sent. */
  | { type: 'chunk-acked'; index: number }
  /** Its acknowledged chunks were read again (the server's list, another tab's sending). */
  | { type: 'acks-read' }
  /** An upload session was opened for it. */
  | { type: 'session' }
  /** No longer listed in this page (committed, cancelled, or given up). */
  | { type: 'unlisted' };
