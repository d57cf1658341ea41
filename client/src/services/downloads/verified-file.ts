// Reading a file the server holds, verified before any byte is used: the node key (from its key
// chain), the content key, the signed manifest (signer = the one the source names), the chunk
// listing against the manifest; then each chunk (length, SHA-256 id, AEAD) as it is read. Shared by
// single downloads, zips and previews, from the drive or through a share link; a drive file sent to
// a device is opened by the same checks (openRevision).
//
// A chunk the transfer quota refuses (429 transfer_quota_exceeded) is not retried blindly: a
// transfer waits on `waitOutQuota` (paused until the person resumes it) and then asks for that same
// chunk again, so a download stops at a chunk boundary and never restarts from zero.
//
// Through a share link, chunks may come from peers in the link's room (chunk-peers.ts): those
// bytes go through exactly the same checks, and a chunk that fails them, or that no peer
// delivers, is taken from the server instead.
import { chunkCount, cipherChunkSize } from '@coffre/core/format';
import type { ChunkPeers } from './chunk-peers';
import type { CryptoPool } from '../platform/crypto-pool';
import { coreCrypto } from '../platform/crypto-main';
import {
  BadAnswerError,
  IntegrityFailedError,
  InvalidRequestError,
  isIntegrityError,
  isTransferQuotaError,
  type QuotaRefusedError,
} from '../platform/errors';
import type { FileSource } from './file-source';
import { withRetry } from '../platform/retry';

/** Waits out a transfer quota refusal: resolves when the transfer resumes, rejects on cancel. */
export type WaitOutQuota = (refusal: QuotaRefusedError) => Promise<void>;

/** Counts each verified chunk's sealed bytes by where they came from (the transfers panel). */
export type TallyChunk = (origin: 'peer' | 'server', sealedBytes: number) => void;

/** A file whose keys, manifest and chunk listing were verified; chunks are checked as read. */
export class VerifiedFile {
  constructor(
    private readonly source: FileSource,
    private readonly pool: CryptoPool,
    readonly nodeId: string,
    readonly name: string,
    readonly mime: string | null,
    readonly size: number,
    readonly revision: number,
    private readonly contentKey: Uint8Array,
    private readonly chunkIds: string[],
    private readonly peers: ChunkPeers | null = null,
  ) {}

  get count(): number {
    return this.chunkIds.length;
  }

  /** Peers are connected that may hold its chunks. */
  get hasPeers(): boolean {
    return this.peers?.connected() ?? false;
  }

  /** Without `waitOutQuota` (previews), a transfer quota refusal is thrown like any failure. */
  async chunk(
    index: number,
    signal: AbortSignal,
    waitOutQuota?: WaitOutQuota,
    tally?: TallyChunk,
  ): Promise<ArrayBuffer> {
    const expected = cipherChunkSize(this.size, index);
    const fromPeer = await this.peers?.fetch(index, expected, signal);
    if (fromPeer) {
      try {
        if (fromPeer.bytes.byteLength !== expected) throw new IntegrityFailedError();
        const plaintext = await this.open(index, fromPeer.bytes.buffer);
        tally?.('peer', expected);
        return plaintext;
      } catch (error) {
        if (!isIntegrityError(error)) throw error;
        fromPeer.blame(index); // and the server's copy is used instead
      }
    }
    const bytes = await this.fetch(index, expected, signal, waitOutQuota);
    if (bytes.byteLength !== expected) throw new IntegrityFailedError();
    const plaintext = await this.open(index, bytes);
    tally?.('server', expected);
    return plaintext;
  }

  /** SHA-256 against the manifest, then the AEAD with the chunk's AD, in a worker. */
  private async open(index: number, bytes: ArrayBuffer): Promise<ArrayBuffer> {
    // The worker takes the buffer and hands it back: peers are served those bytes once verified.
    const { plaintext, chunk } = await this.pool.run(
      'openChunk',
      {
        contentKey: this.contentKey,
        nodeId: this.nodeId,
        revision: this.revision,
        count: this.count,
        index,
        chunk: bytes,
        expectedId: this.chunkIds[index]!,
        inPlace: false,
      },
      [bytes],
    );
    this.peers?.keep(index, new Uint8Array(chunk));
    return plaintext.buffer; // not in place: a buffer of its own, exactly the plaintext
  }

  private async fetch(
    index: number,
    expected: number,
    signal: AbortSignal,
    waitOutQuota: WaitOutQuota | undefined,
  ): Promise<ArrayBuffer> {
    for (;;) {
      try {
        return await withRetry(
          () => this.source.chunk(this.nodeId, index, expected, signal),
          signal,
        );
      } catch (error) {
        if (!waitOutQuota || !isTransferQuotaError(error)) throw error;
        await waitOutQuota(error);
      }
    }
  }
}

/**
 * A file's committed revision, with everything the server says of it checked: the node key (from
 * its key chain), the content key, the signed manifest and the chunk listing against it. The
 * file's sealed size gives its chunk count before anything else is asked, so the file record is
 * refused unread past the size that count allows (protocol.md, "Answer sizes").
 */
export async function openRevision(source: FileSource, nodeId: string, signal: AbortSignal) {
  const node = await source.node(nodeId);
  if (node.type !== 'file' || node.meta === null)
    throw new InvalidRequestError({ key: 'not-a-file' });
  const size = node.meta.size;
  if (size === null) throw new IntegrityFailedError();
  let info;
  try {
    info = await source.fileInfo(nodeId, chunkCount(size), signal);
  } catch (error) {
    // Over its bound or not of its shape: what the format authenticates was tampered with (§9).
    if (error instanceof BadAnswerError) throw new IntegrityFailedError();
    throw error;
  }
  if (info.nodeId !== nodeId) throw new IntegrityFailedError();
  const core = await coreCrypto();
  const contentKey = core.openContentKey(nodeId, node.key, info.revision, info.wrappedContentKey);
  const manifest = core.openManifest(info.manifest, contentKey, {
    nodeId,
    revision: info.revision,
    signer: source.signer(),
  });
  const listingMatches =
    info.chunks.length === manifest.count &&
    manifest.chunks.length === manifest.count &&
    info.chunks.every(
      (c, i) =>
        c.index === i &&
        c.id === manifest.chunks[i] &&
        c.size === cipherChunkSize(manifest.size, i),
    );
  if (!listingMatches || manifest.size !== size) throw new IntegrityFailedError();
  return { meta: node.meta, info, contentKey, manifest };
}

/** Verifies everything the server says about the file before any chunk is fetched. */
export async function verifyFile(
  source: FileSource,
  pool: CryptoPool,
  nodeId: string,
  signal: AbortSignal,
): Promise<VerifiedFile> {
  const { meta, info, contentKey, manifest } = await openRevision(source, nodeId, signal);
  const peers =
    (await source.peers?.({ nodeId, revision: info.revision, count: manifest.count })) ?? null;
  return new VerifiedFile(
    source,
    pool,
    nodeId,
    meta.name,
    meta.mime,
    manifest.size,
    info.revision,
    contentKey,
    manifest.chunks,
    peers,
  );
}

/** Chunks fetched and decrypted ahead of the one being written: keeps two workers busy. */
const READ_AHEAD = 2;
/**
 * With peers, more chunks are due at once (protocol.md §6: 6 ahead in all, 2 per peer): a peer
 * answers one chunk at a time, and the server's share runs alongside.
 */
const READ_AHEAD_WITH_PEERS = 5;

/** Reads chunks in order, preparing the next few while the current one is being written. */
export class ChunkReader {
  private next = 0;
  private readonly ahead: Promise<ArrayBuffer>[] = [];

  constructor(
    private readonly file: VerifiedFile,
    private readonly signal: AbortSignal,
    private readonly waitOutQuota?: WaitOutQuota,
    private readonly tally?: TallyChunk,
  ) {}

  /** The next chunk's plaintext, or null at the end. */
  read(): Promise<ArrayBuffer | null> {
    const ahead = this.file.hasPeers ? READ_AHEAD_WITH_PEERS : READ_AHEAD;
    while (this.next < this.file.count && this.ahead.length <= ahead) {
      const chunk = this.file.chunk(this.next++, this.signal, this.waitOutQuota, this.tally);
      // A failure is reported when that chunk is read; don't let it go unhandled before.
      chunk.catch(() => undefined);
      this.ahead.push(chunk);
    }
    return this.ahead.shift() ?? Promise.resolve(null);
  }
}

/**
 * The whole decrypted file in memory, for previews: refused above `maxBytes` before anything is
 * fetched, and only returned once every chunk verified.
 */
export async function readWholeFile(
  source: FileSource,
  pool: CryptoPool,
  nodeId: string,
  maxBytes: number,
): Promise<Blob> {
  const node = await source.node(nodeId);
  if (node.type !== 'file' || node.meta === null)
    throw new InvalidRequestError({ key: 'not-a-file' });
  if ((node.meta.size ?? 0) > maxBytes)
    throw new InvalidRequestError({ key: 'preview-too-large', maxBytes });
  const signal = new AbortController().signal;
  const file = await verifyFile(source, pool, nodeId, signal);
  const reader = new ChunkReader(file, signal);
  const parts: ArrayBuffer[] = [];
  for (let bytes = await reader.read(); bytes !== null; bytes = await reader.read())
    parts.push(bytes);
  return new Blob(parts, { type: safeMime(file.mime) });
}

/** A well-formed media type or none: the uploader chose it, so it is not trusted to be sane. */
function safeMime(mime: string | null): string {
  return mime && /^[\w.+-]+\/[\w.+-]+$/.test(mime) ? mime.toLowerCase() : '';
}
