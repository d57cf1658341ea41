import { Transform, pipeline, type Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest, onSendAsyncHookHandler } from 'fastify';
import parseRange from 'range-parser';
import { ApiError } from '../api-error';
import type { StoredChunk } from '../services/files.service';
import type { Quotas } from '../services/quotas.service';
import type { TransferMeter, TransferReservation } from '../services/transfer-meter.service';
import type { BlobStore, ByteRange } from '../stores/blob-store';
import { sendError } from './errors';
import type { ServerMetrics } from './metrics';

function isReadable(payload: unknown): payload is Readable {
  return typeof (payload as Readable | null)?.pipe === 'function';
}

/** What a chunk response has reserved and must settle when it ends. */
interface PendingChunk {
  reservation: TransferReservation;
  afterServing: ((sentInFull: boolean) => Promise<void>) | undefined;
}

/**
 * The one way chunk bytes leave the server, for owners and links alike: a single Range honoured
 * (several are answered with the whole chunk, as RFC 9110 allows), and every byte written billed
 * to the file owner's monthly transfer. The whole
 * chunk must fit in the owner's transfer quota before anything is sent, so a download that runs
 * out stops at a chunk boundary and resumes there later.
 */
export class ChunkDownloads {
  /** What a chunk response has reserved, until it is sent. */
  private readonly reserved = new WeakMap<FastifyRequest, PendingChunk>();

  constructor(
    private readonly blobs: BlobStore,
    private readonly quotas: Quotas,
    private readonly transferMeter: TransferMeter,
    private readonly metrics: ServerMetrics,
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
      /**
       * Runs when the response ends, with whether all of its body reached the connection (false
       * for a cut transfer and for an error answered instead).
       */
      afterServing?: (sentInFull: boolean) => Promise<void>;
    },
  ): Promise<FastifyReply> {
    try {
      const reservation = await this.quotas.reserveTransfer(download.ownerId, download.chunk.size);
      this.reserved.set(request, { reservation, afterServing: download.afterServing });
    } catch (error) {
      if (error instanceof ApiError && error.details?.resetsAt !== undefined) {
        const seconds = Math.ceil((error.details.resetsAt - this.quotas.now()) / 1000);
        reply.header('retry-after', String(Math.max(1, seconds)));
      }
      throw error;
    }
    // Should it throw, the error answer's onSend gives the reservation back.
    await download.beforeServing?.();
    const { size, key } = download.chunk;
    const range = requestedRange(request.headers.range, size);
    reply
      .header('cache-control', download.cacheControl)
      .header('content-type', 'application/octet-stream')
      .header('accept-ranges', 'bytes');
    if (range === 'unsatisfiable') {
      // The real length, so the client can ask again (RFC 9110 §15.5.17).
      reply.header('content-range', `bytes */${size}`);
      return sendError(reply, 'range_not_satisfiable', 'the range lies outside the chunk');
    }
    const body = await this.blobs.read(key, range);
    if (range === null) return reply.header('content-length', size).send(body);
    return reply
      .code(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
      .header('content-length', range.end - range.start + 1)
      .send(body);
  }

  /**
   * onSend hook of every chunk route: counts the bytes handed to the connection and, when the
   * response ends, finished or cut short, gives back the part of the reservation not sent (all
   * of it for an error answer, which carries no chunk bytes).
   */
  readonly meter: onSendAsyncHookHandler<unknown> = async (request, reply, payload) => {
    const pending = this.reserved.get(request);
    if (pending === undefined) return payload;
    this.reserved.delete(request);
    const { reservation, afterServing } = pending;
    if (!isReadable(payload)) {
      await this.transferMeter.settle(reservation, 0);
      await afterServing?.(false);
      return payload;
    }
    if (reply.raw.closed) {
      // The client left before the body was handed over: 'close' has fired, nothing was sent.
      await this.transferMeter.settle(reservation, 0);
      await afterServing?.(false);
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
      this.metrics.sent(written);
      this.transferMeter.settle(reservation, written).catch((error: unknown) => {
        request.log.error({ err: error }, 'unused transfer not given back');
      });
      // Finished: the last byte was handed to the connection before it closed.
      afterServing?.(reply.raw.writableFinished).catch((error: unknown) => {
        request.log.error({ err: error }, 'chunk response not settled');
      });
    });
    // The file stream ends with the counter, whichever side stops first.
    return pipeline(payload, counter, () => {});
  };
}

/** The one range asked for, null for the whole chunk (no header, a malformed or multiple one). */
function requestedRange(
  header: string | undefined,
  size: number,
): ByteRange | null | 'unsatisfiable' {
  if (header === undefined) return null;
  const ranges = parseRange(size, header, { combine: true });
  if (ranges === -1) return 'unsatisfiable';
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return null;
  return { start: ranges[0]!.start, end: ranges[0]!.end };
}
