import { Transform, pipeline, type Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest, onSendAsyncHookHandler } from 'fastify';
import type { StoredChunk } from '../services/files';
import type { Transfers } from '../services/transfers';
import type { DiskBlobStore } from '../stores/blob-store';

function isReadable(payload: unknown): payload is Readable {
  return typeof (payload as Readable | null)?.pipe === 'function';
}

/**
 * The one way chunk bytes leave the server, for owners and links alike: Range via
 * @fastify/static, and every byte written billed to the file owner's monthly transfer.
 */
export class ChunkDownloads {
  /** Whose transfer a chunk response counts against, until it is sent. */
  private readonly billedTo = new WeakMap<FastifyRequest, string>();

  constructor(
    private readonly blobs: DiskBlobStore,
    private readonly transfers: Transfers,
  ) {}

  send(
    request: FastifyRequest,
    reply: FastifyReply,
    download: { ownerId: string; chunk: StoredChunk; cacheControl: string },
  ): FastifyReply {
    this.billedTo.set(request, download.ownerId);
    reply
      .header('cache-control', download.cacheControl)
      .header('content-type', 'application/octet-stream');
    return reply.sendFile(this.blobs.relativePath(download.chunk.key), this.blobs.blobsDir, {
      acceptRanges: true,
      cacheControl: false,
      contentType: false,
      lastModified: false,
      etag: false,
      dotfiles: 'deny',
    });
  }

  /**
   * onSend hook of every chunk route: counts the bytes handed to the connection and records them
   * when the response ends, finished or cut short (error answers carry no chunk bytes).
   */
  readonly meter: onSendAsyncHookHandler<unknown> = async (request, reply, payload) => {
    const ownerId = this.billedTo.get(request);
    if (ownerId === undefined || !isReadable(payload)) return payload;
    this.billedTo.delete(request);
    let sent = 0;
    const counter = new Transform({
      transform(piece: Buffer, _encoding, done) {
        sent += piece.length;
        done(null, piece);
      },
    });
    reply.raw.once('close', () => {
      // What is still buffered in the counter never reached the connection.
      const written = sent - counter.readableLength;
      this.transfers.add(ownerId, written).catch((error: unknown) => {
        request.log.error({ err: error }, 'transfer not recorded');
      });
    });
    // The file stream ends with the counter, whichever side stops first.
    return pipeline(payload, counter, () => {});
  };
}
