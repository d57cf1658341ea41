// A folder saved as one zip built while it streams (client-zip, stored without compression). The
// verified subtree is walked first; then each file is verified and decrypted chunk by chunk as the
// zip reaches it, so memory stays flat whatever the total. Any integrity failure errors the zip
// stream, so the browser keeps no partial zip.
import { makeZip, predictLength } from 'client-zip';
import { MAX_FOLDER_DEPTH, displayName } from '@coffre/core/format';
import type { DriveNode } from '../contract';
import type { CryptoPool } from '../platform/crypto-pool';
import type { SaveStream } from './download-service';
import { IntegrityFailedError } from '../platform/errors';
import type { FileSource } from './file-source';
import { ChunkReader, verifyFile, type TallyChunk, type WaitOutQuota } from './verified-file';

interface Entry {
  /** Path inside the zip, from sanitised decrypted names; folders end with '/'. */
  path: string;
  node: DriveNode;
}

export async function openFolderZip(
  source: FileSource,
  pool: CryptoPool,
  folderId: string,
  signal: AbortSignal,
  waitOutQuota: WaitOutQuota,
  tally: TallyChunk,
): Promise<SaveStream> {
  const folder = await source.node(folderId);
  const entries = await walk(source, folderId, signal);
  const files = entries.filter((e) => e.node.type === 'file');
  const sizes = files.map((e) => e.node.size);
  const total = sizes.reduce<number>((sum, size) => sum + (size ?? 0), 0);
  const length = sizes.every((size) => size !== null)
    ? Number(
        predictLength(
          entries.map(({ path, node }) =>
            node.type === 'folder' ? { name: path } : { name: path, size: node.size ?? 0 },
          ),
        ),
      )
    : null;

  const reader = makeZip(zipInputs(entries, source, pool, signal, waitOutQuota, tally)).getReader();
  signal.addEventListener('abort', () => void reader.cancel(signal.reason).catch(() => undefined), {
    once: true,
  });
  return {
    filename: `${safeSegment(folder.meta?.name ?? 'files')}.zip`,
    length,
    total: length ?? total,
    async read() {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return null;
        if (value.byteLength > 0) return ownBuffer(value);
      }
    },
  };
}

/** Every verified folder and file below `folderId`, parents before children. */
async function walk(source: FileSource, folderId: string, signal: AbortSignal): Promise<Entry[]> {
  const entries: Entry[] = [];
  const seen = new Set([folderId]);
  async function visit(id: string, prefix: string, depth: number): Promise<void> {
    if (depth > MAX_FOLDER_DEPTH) throw new IntegrityFailedError();
    const names = new UniqueNames();
    for (const node of await source.list(id)) {
      signal.throwIfAborted();
      if (seen.has(node.id)) throw new IntegrityFailedError();
      seen.add(node.id);
      const path = prefix + names.claim(safeSegment(node.name));
      if (node.type === 'folder') {
        entries.push({ path: path + '/', node });
        await visit(node.id, path + '/', depth + 1);
      } else {
        entries.push({ path, node });
      }
    }
  }
  await visit(folderId, '', 0);
  return entries;
}

async function* zipInputs(
  entries: Entry[],
  source: FileSource,
  pool: CryptoPool,
  signal: AbortSignal,
  waitOutQuota: WaitOutQuota,
  tally: TallyChunk,
) {
  for (const { path, node } of entries) {
    const lastModified = new Date(node.mtime);
    if (node.type === 'folder') {
      yield { name: path, lastModified };
      continue;
    }
    const file = await verifyFile(source, pool, node.id, signal);
    yield {
      name: path,
      lastModified,
      size: file.size,
      input: plaintextStream(file, signal, waitOutQuota, tally),
    };
  }
}

function plaintextStream(
  file: Awaited<ReturnType<typeof verifyFile>>,
  signal: AbortSignal,
  waitOutQuota: WaitOutQuota,
  tally: TallyChunk,
): ReadableStream<Uint8Array> {
  const reader = new ChunkReader(file, signal, waitOutQuota, tally);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const bytes = await reader.read();
      if (bytes === null) controller.close();
      else controller.enqueue(new Uint8Array(bytes));
    },
  });
}

/**
 * One path segment from a decrypted name, as a person reads it (format.md §6.1: controls and every
 * character that hides or reorders text shown as its code point). core already refuses '/', NUL,
 * '.' and '..' in names, but the zip is read by other programs, so it is checked again here: no
 * separators, never a segment that climbs out of the folder.
 */
function safeSegment(name: string): string {
  const cleaned = displayName(name).replace(/[/\\]/g, '_').trim();
  if (cleaned === '' || /^\.+$/.test(cleaned)) return '_' + cleaned;
  return cleaned;
}

/** Two children with the same name (allowed in the drive) become "name" and "name (2)". */
class UniqueNames {
  private readonly taken = new Set<string>();

  claim(name: string): string {
    let candidate = name;
    for (let n = 2; this.taken.has(candidate.toLowerCase()); n++) {
      const dot = name.lastIndexOf('.');
      candidate = dot > 0 ? `${name.slice(0, dot)} (${n})${name.slice(dot)}` : `${name} (${n})`;
    }
    this.taken.add(candidate.toLowerCase());
    return candidate;
  }
}

/** The bytes as an ArrayBuffer of exactly their length, so it can be transferred. */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  if (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  ) {
    return bytes.buffer;
  }
  return bytes.slice().buffer;
}
