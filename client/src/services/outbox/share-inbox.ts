// The share inbox: files another app shared to Coffre (the OS share sheet posts them to the
// service worker), kept on this device until the drive has queued them for upload. They are
// plaintext here, so the app takes them as soon as an account is open (docs/adr/0004).
// Its own database: the service worker writes it without touching the app's session store.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

/** Where the manifest's share_target posts, and the form field carrying the files. */
export const SHARE_TARGET_PATH = '/share-target';
export const SHARE_TARGET_FIELD = 'files';

export interface InboxEntry {
  id: string;
  file: Blob;
  name: string;
  type: string;
  /** ms since epoch */
  addedAt: number;
}

interface InboxDB extends DBSchema {
  entries: { key: string; value: InboxEntry; indexes: { addedAt: number } };
}

const DB_NAME = 'coffre-inbox';
const DB_VERSION = 1;
/** Pages and the service worker tell each other here that files arrived or left. */
const CHANNEL = 'coffre-inbox';
/** One page at a time hands the inbox to the upload queue, so no file is queued twice. */
const LOCK = 'coffre-inbox';

let db: Promise<IDBPDatabase<InboxDB>> | null = null;

function open(): Promise<IDBPDatabase<InboxDB>> {
  db ??= openDB<InboxDB>(DB_NAME, DB_VERSION, {
    upgrade(database, oldVersion) {
      if (oldVersion < 1) {
        database.createObjectStore('entries', { keyPath: 'id' }).createIndex('addedAt', 'addedAt');
      }
    },
  });
  return db;
}

function announce(): void {
  const channel = new BroadcastChannel(CHANNEL);
  channel.postMessage('changed');
  channel.close();
}

/** Keeps shared files in one transaction: either all of them are in the inbox or none. */
export async function addToInbox(files: File[]): Promise<void> {
  if (files.length === 0) return;
  const addedAt = Date.now();
  const tx = (await open()).transaction('entries', 'readwrite');
  await Promise.all([
    ...files.map((file) =>
      tx.store.add({ id: crypto.randomUUID(), file, name: file.name, type: file.type, addedAt }),
    ),
    tx.done,
  ]);
  announce();
}

export async function inboxCount(): Promise<number> {
  return (await open()).count('entries');
}

/**
 * Hands every waiting file to `queue`, oldest first, and removes them from the inbox only once
 * `queue` has resolved; if it throws, they stay for the next try. Resolves to how many were queued.
 */
export async function drainInbox(queue: (files: File[]) => Promise<void> | void): Promise<number> {
  return navigator.locks.request(LOCK, async () => {
    const database = await open();
    const entries = await database.getAllFromIndex('entries', 'addedAt');
    if (entries.length === 0) return 0;
    // The entry keeps the name and type, in case the stored value came back as a bare Blob.
    const files = entries.map(
      (e) =>
        new File([e.file], e.name, {
          type: e.type,
          lastModified: e.file instanceof File ? e.file.lastModified : e.addedAt,
        }),
    );
    await queue(files);
    const tx = database.transaction('entries', 'readwrite');
    await Promise.all([...entries.map((e) => tx.store.delete(e.id)), tx.done]);
    announce();
    return entries.length;
  });
}

/** Calls `listener` whenever files arrive in or leave the inbox (from any page or the worker). */
export function onInboxChange(listener: () => void): () => void {
  const channel = new BroadcastChannel(CHANNEL);
  channel.onmessage = () => listener();
  return () => channel.close();
}
