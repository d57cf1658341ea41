// Files received from another device, kept in IndexedDB until they are saved (format.md §13.8).
// Its own database, not the account's: the receiver may have no account on this browser. Each
// file is known by its identity (node id, revision, manifest hash), so a later attempt with a new
// code for the same file finds what an earlier one stored and asks only for the rest.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { chunkCount, toBase64Url } from '@coffre/core/format';
import type { PeerOffer } from '@coffre/core/crypto/p2p';
import { ChunkBitmap } from '@coffre/core/protocol/peer-frames';
import type { ChunkSink } from '../wire/chunk-receiver';
import { InvalidRequestError } from '../../platform/errors';

/** One received (or partly received) file; `held` is the bitmap of the chunks stored. */
export interface ReceivedFile {
  file: string;
  nodeId: string;
  revision: number;
  name: string;
  mime: string | null;
  size: number;
  count: number;
  held: Uint8Array;
  startedAt: number;
  updatedAt: number;
}

type ChunkKey = [file: string, index: number];

interface ReceivedDB extends DBSchema {
  received: { key: string; value: ReceivedFile };
  /** The verified plaintext of each chunk, as a Blob (the browser keeps large ones on disk). */
  receivedChunks: { key: ChunkKey; value: Blob };
}

const DB_NAME = 'coffre-received';
const DB_VERSION = 1;

let db: Promise<IDBPDatabase<ReceivedDB>> | null = null;

function openReceivedDb(): Promise<IDBPDatabase<ReceivedDB>> {
  db ??= openDB<ReceivedDB>(DB_NAME, DB_VERSION, {
    upgrade(database) {
      database.createObjectStore('received', { keyPath: 'file' });
      database.createObjectStore('receivedChunks');
    },
    blocking() {
      void db?.then((open) => open.close());
      db = null;
    },
  });
  return db;
}

const fileRange = (file: string) => IDBKeyRange.bound([file, 0], [file, Infinity]);

/** `<nodeId>.<revision>.<base64url SHA-256 of the sealed manifest text>` (format.md §13.8). */
export async function receivedFileId(offer: PeerOffer): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(offer.manifest));
  return `${offer.nodeId}.${offer.revision}.${toBase64Url(new Uint8Array(digest))}`;
}

export function heldCount(record: ReceivedFile): number {
  return bitmapOf(record).held;
}

function bitmapOf(record: ReceivedFile): ChunkBitmap {
  const bitmap = new ChunkBitmap(record.count);
  for (let index = 0; index < record.count; index++) {
    if ((record.held[index >> 3]! & (0x80 >> (index & 7))) !== 0) bitmap.set(index);
  }
  return bitmap;
}

export async function receivedFiles(): Promise<ReceivedFile[]> {
  const records = await (await openReceivedDb()).getAll('received');
  return records.sort((a, b) => b.updatedAt - a.updatedAt);
}

export async function receivedFile(file: string): Promise<ReceivedFile | undefined> {
  return (await openReceivedDb()).get('received', file);
}

/** Deletes a file's record and chunks in one transaction (saved, or discarded by the person). */
export async function discardReceived(file: string): Promise<void> {
  const database = await openReceivedDb();
  const tx = database.transaction(['received', 'receivedChunks'], 'readwrite');
  await Promise.all([
    tx.objectStore('received').delete(file),
    tx.objectStore('receivedChunks').delete(fileRange(file)),
    tx.done,
  ]);
}

/** A stored chunk's plaintext, for saving the file in order. */
export async function receivedChunk(file: string, index: number): Promise<ArrayBuffer> {
  const blob = await (await openReceivedDb()).get('receivedChunks', [file, index]);
  if (!blob) throw new InvalidRequestError({ key: 'received-part-missing', part: index + 1 });
  return blob.arrayBuffer();
}

/** The sink of one offered file: its record is created on first use, kept on later ones. */
export class IdbSink implements ChunkSink {
  private constructor(readonly file: string) {}

  /** Called with an offer whose manifest was verified, so its size gives the chunk count. */
  static async open(offer: PeerOffer): Promise<IdbSink> {
    const file = await receivedFileId(offer);
    const count = chunkCount(offer.size);
    const database = await openReceivedDb();
    const tx = database.transaction('received', 'readwrite');
    const now = Date.now();
    const existing = await tx.store.get(file);
    await tx.store.put({
      file,
      nodeId: offer.nodeId,
      revision: offer.revision,
      name: offer.name,
      mime: offer.mime,
      size: offer.size,
      count,
      held: existing?.held ?? new Uint8Array(Math.ceil(count / 8)),
      startedAt: existing?.startedAt ?? now,
      updatedAt: now,
    });
    await tx.done;
    return new IdbSink(file);
  }

  async held(): Promise<Iterable<number>> {
    const record = await receivedFile(this.file);
    if (!record) return [];
    const bitmap = bitmapOf(record);
    return Array.from({ length: record.count }, (_, i) => i).filter((i) => bitmap.has(i));
  }

  /** The chunk and its bit in the bitmap are written in one transaction: they never disagree. */
  async put(index: number, plaintext: Uint8Array<ArrayBuffer>): Promise<void> {
    const database = await openReceivedDb();
    const tx = database.transaction(['received', 'receivedChunks'], 'readwrite');
    const files = tx.objectStore('received');
    const record = await files.get(this.file);
    if (!record) throw new Error('The received file was discarded.');
    await tx.objectStore('receivedChunks').put(new Blob([plaintext]), [this.file, index]);
    const held = record.held.slice();
    held[index >> 3]! |= 0x80 >> (index & 7);
    await files.put({ ...record, held, updatedAt: Date.now() });
    await tx.done;
  }
}
