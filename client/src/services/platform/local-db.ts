// The app's IndexedDB database. The schema is versioned: each version's step in `upgrade` runs
// once, in order, so a device on an old version migrates forward without losing data.
//
// v1: the saved session. v2: the upload outbox (outbox/store.ts): one record per queued file, its
// sealed chunks as Blobs, and one progress record per chunk. A v1 session record stays readable
// (its `bundle` is simply absent until the next log-in or online start stores it). v3: the seed
// store (seed-store.ts, ADR 0007): sealed chunks of files uploaded from this device, kept after
// their upload committed so this device can serve them to the file's share-link recipients.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { AccountBundle } from '@coffre/core/crypto';
import type { CreateUploadRequest } from '@coffre/core/protocol';
import type { FailureValue } from '../contract';

/** What this device keeps to stay logged in across reloads (see account.ts for what it protects). */
export interface StoredSession {
  token: string;
  userId: string;
  email: string;
  /** Unwraps the account's master key from the bundle the server sends on resume. */
  encKey: Uint8Array;
  /**
   * The account's key bundle as last verified (ciphertext under encKey and the master key): lets
   * the app open offline. Absent in records saved before v2.
   */
  bundle?: AccountBundle;
}

/**
 * One queued file (docs/spec/format.md §12). 'encrypting' while its chunks are sealed, 'ready'
 * once every chunk and the manifest are stored, 'paused' by the person, 'failed' with a reason.
 */
export interface OutboxRecord {
  id: string;
  /** The account that queued it; no other account's session reads or sends it. */
  owner: string;
  parentId: string;
  nodeId: string;
  name: string;
  /** Plaintext bytes. */
  size: number;
  lastModified: number;
  queuedAt: number;
  phase: 'encrypting' | 'ready' | 'paused' | 'failed';
  /**
   * Why it failed, as a typed failure; a string is the sentence a version before typed failures
   * stored, which an outbox kept across the update still holds (see outbox/repository.ts).
   */
  reason: FailureValue | string | null;
  /** Whether Retry can send it again (its chunks are still stored). */
  retryable: boolean;
  /** The POST /uploads body: ids, wrapped keys and sealed metadata, all made at add time. */
  createBody: CreateUploadRequest;
  /** The open server upload session, once created. */
  uploadId: string | null;
  /** The signed, sealed manifest (base64url), once every chunk is sealed. */
  manifest: string | null;
  /** Chunk ids (SHA-256, base64url) in order, once every chunk is sealed. */
  chunkIds: string[] | null;
}

/** A chunk's progress: present once sealed and stored; `acked` once the server answered 2xx. */
export interface ChunkProgress {
  item: string;
  index: number;
  id: string;
  /** Plaintext bytes this chunk covers (for progress figures). */
  plainSize: number;
  acked: boolean;
}

export type ChunkKey = [item: string, index: number];

/** A committed file whose sealed chunks this device keeps (format.md §12, seed store). */
export interface SeedRecord {
  nodeId: string;
  owner: string;
  revision: number;
  count: number;
  /** Sealed bytes of all its chunks. */
  bytes: number;
  storedAt: number;
}

export type SeedChunkKey = [nodeId: string, index: number];

interface CoffreDB extends DBSchema {
  session: { key: 'current'; value: StoredSession };
  outbox: { key: string; value: OutboxRecord; indexes: { owner: string } };
  /** Sealed chunk bytes, as Blobs (the browser keeps large ones on disk). */
  outboxChunks: { key: ChunkKey; value: Blob };
  outboxProgress: { key: ChunkKey; value: ChunkProgress };
  seedFiles: { key: string; value: SeedRecord; indexes: { owner: string } };
  seedChunks: { key: SeedChunkKey; value: Blob };
}

export type LocalDb = IDBPDatabase<CoffreDB>;

const DB_NAME = 'coffre';
const DB_VERSION = 3;

let db: Promise<LocalDb> | null = null;

export function openLocalDb(): Promise<LocalDb> {
  db ??= openDB<CoffreDB>(DB_NAME, DB_VERSION, {
    upgrade(database, oldVersion) {
      if (oldVersion < 1) database.createObjectStore('session');
      if (oldVersion < 2) {
        database.createObjectStore('outbox', { keyPath: 'id' }).createIndex('owner', 'owner');
        database.createObjectStore('outboxChunks');
        database.createObjectStore('outboxProgress', { keyPath: ['item', 'index'] });
      }
      if (oldVersion < 3) {
        database
          .createObjectStore('seedFiles', { keyPath: 'nodeId' })
          .createIndex('owner', 'owner');
        database.createObjectStore('seedChunks');
      }
    },
    // Another tab opened a newer version: let it upgrade; this tab reopens on its next call.
    blocking() {
      void db?.then((open) => open.close());
      db = null;
    },
  });
  return db;
}

export async function loadSession(): Promise<StoredSession | null> {
  return (await (await openLocalDb()).get('session', 'current')) ?? null;
}

export async function saveSession(session: StoredSession): Promise<void> {
  await (await openLocalDb()).put('session', session, 'current');
}

export async function deleteSession(): Promise<void> {
  await (await openLocalDb()).delete('session', 'current');
}
