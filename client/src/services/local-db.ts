// The app's IndexedDB database. The schema is versioned: each version's step in `upgrade` runs
// once, in order, so a device on an old version migrates forward without losing data.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

/** What this device keeps to stay logged in across reloads (see account.ts for what it protects). */
export interface StoredSession {
  token: string;
  userId: string;
  email: string;
  /** Unwraps the account's master key from the bundle the server sends on resume. */
  encKey: Uint8Array;
}

interface CoffreDB extends DBSchema {
  session: { key: 'current'; value: StoredSession };
}

const DB_NAME = 'coffre';
const DB_VERSION = 1;

let db: Promise<IDBPDatabase<CoffreDB>> | null = null;

function open(): Promise<IDBPDatabase<CoffreDB>> {
  db ??= openDB<CoffreDB>(DB_NAME, DB_VERSION, {
    upgrade(database, oldVersion) {
      if (oldVersion < 1) database.createObjectStore('session');
    },
  });
  return db;
}

export async function loadSession(): Promise<StoredSession | null> {
  return (await (await open()).get('session', 'current')) ?? null;
}

export async function saveSession(session: StoredSession): Promise<void> {
  await (await open()).put('session', session, 'current');
}

export async function deleteSession(): Promise<void> {
  await (await open()).delete('session', 'current');
}
