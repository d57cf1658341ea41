import { Transform, pipeline, type Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest, onSendAsyncHookHandler } from 'fastify';
import type { StoredChunk } from '../services/files';
import { ApiError } from '../api-error';
import type { Quotas } from '../services/quotas';
import type { TransferReservation, Transfers } from '../services/transfers';
import type { DiskBlobStore } from '../stores/blob-store';

function isReadable(payload: unknown): payload is Readable {
  return typeof (payload as Readable | null)?.pipe === 'function';
}

/**
 * The one way chunk bytes leave the server, for owners and links alike: Range via
 * @fastify/static, and every byte written billed to the file owner's monthly transfer. The whole
 * chunk must fit in the owner's transfer quota before anything is sent, so a download that runs
 * out stops at a chunk boundary and resumes there later.
 */
export class ChunkDownloads {
  /** The transfer a chunk response has reserved, until it is sent. */
  private readonly reserved = new WeakMap<FastifyRequest, TransferReservation>();

  constructor(
    private readonly blobs: DiskBlobStore,
    private readonly quotas: Quotas,
    private readonly transfers: Transfers,
  ) {}

  async send(
    request: FastifyRequest,
    reply: FastifyReply,
    download: {
      ownerId: string;
      chunk: StoredChunk;
      cacheControl: string;
      /** Runs once the transfer is reserved, so a refused chunk leaves nothing else counted. */
      beforeServing?: () => Promise<void>;
    },
  ): Promise<FastifyReply> {
    try {
      const reservation = await this.quotas.reserveTransfer(download.ownerId, download.chunk.size);
      this.reserved.set(request, reservation);
    } catch (error) {
      if (error instanceof ApiError && error.details?.resetsAt !== undefined) {
        const seconds = Math.ceil((error.details.resetsAt - this.quotas.now()) / 1000);
        reply.header('retry-after', String(Math.max(1, seconds)));
      }
      throw error;
    }
    // Should it throw, the error answer's onSend gives the reservation back.
    await download.beforeServing?.();
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
   * onSend hook of every chunk route: counts the bytes handed to the connection and, when the
   * response ends, finished or cut short, gives back the part of the reservation not sent (all
   * of it for an error answer, which carries no chunk bytes).
   */
  readonly meter: onSendAsyncHookHandler<unknown> = async (request, reply, payload) => {
    const reservation = this.reserved.get(request);
    if (reservation === undefined) return payload;
    this.reserved.delete(request);
    if (!isReadable(payload)) {
      await this.transfers.settle(reservation, 0);
      return payload;
    }
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
      this.transfers.settle(reservation, written).catch((error: unknown) => {
        request.log.error({ err: error }, 'unused transfer not given back');
      });
    });
    // The file stream ends with the counter, whichever side stops first.
    return pipeline(payload, counter, () => {});
  };
}
