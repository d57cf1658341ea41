// The fetching side of a link session with one peer (protocol.md §6, "Link sessions"). It trusts
// nothing the peer says: frames are decoded strictly, the bitmap must describe exactly the file
// asked for, every chunk byte must belong to the chunk due next, in order, within its exact
// length. Any fault ends the session with this peer; whatever was due is then fetched from the
// server by the caller. The bytes it returns are still unverified: the caller checks each chunk
// exactly as a chunk from the server (verified-file.ts).
import { LINK_DUE_PER_PEER } from '@coffre/core/format';
import {
  ChunkBitmap,
  PEER_PROTOCOL_VERSION,
  PeerProtocolError,
  decodeFrame,
  encodeFrame,
  type PeerErrorCode,
  type PeerFrame,
} from '@coffre/core/protocol/peer-frames';
import type { PeerFile } from '../../downloads/chunk-peers';
import type { PeerConnection } from '../wire/peer';

/** No byte for this long while something is due: the peer is dropped, the chunk goes to the server. */
export const PEER_STALL_MS = 10_000;

export class PeerChunkError extends Error {
  override name = 'PeerChunkError';
}

interface Due {
  index: number;
  bytes: Uint8Array<ArrayBuffer>;
  received: number;
  resolve: (bytes: Uint8Array<ArrayBuffer>) => void;
  reject: (error: PeerChunkError) => void;
}

interface BitmapWait {
  bitmap: ChunkBitmap;
  nextByte: number;
  resolve: (bitmap: ChunkBitmap) => void;
  reject: (error: PeerChunkError) => void;
}

export class SeederPeer {
  #file: PeerFile | null = null;
  #bitmap: ChunkBitmap | null = null;
  #waiting: BitmapWait | null = null;
  readonly #due: Due[] = [];
  #stall: ReturnType<typeof setTimeout> | undefined;
  #gone: string | null = null;

  constructor(
    readonly peerId: string,
    private readonly connection: PeerConnection,
    private readonly onGone: (peer: SeederPeer, reason: string) => void,
    private readonly stallMs = PEER_STALL_MS,
  ) {
    const { frames } = connection;
    frames.onFrame((bytes) => {
      if (this.#gone !== null) return;
      try {
        this.#handle(decodeFrame(bytes));
      } catch (error) {
        const detail = error instanceof Error ? error.message : 'malformed message';
        this.drop('protocol', `The peer sent a malformed message: ${detail}.`);
      }
    });
    frames.onClose(() => this.#die('The peer closed the connection.'));
    void frames.send(encodeFrame({ type: 'hello', version: PEER_PROTOCOL_VERSION })).catch(() => {
      this.#die('The connection closed.');
    });
  }

  get alive(): boolean {
    return this.#gone === null;
  }

  /** Chunks requested and not yet complete. */
  get load(): number {
    return this.#due.length;
  }

  /** Whether this peer holds chunk `index` of `file` and has room for one more request. */
  canServe(file: PeerFile, index: number): boolean {
    return this.#gone === null && this.#due.length < LINK_DUE_PER_PEER && this.holds(file, index);
  }

  holds(file: PeerFile, index: number): boolean {
    return this.#gone === null && sameFile(this.#file, file) && this.#bitmap?.has(index) === true;
  }

  /** Asks which chunks of `file` the peer holds; resolves with its bitmap. */
  want(file: PeerFile): Promise<ChunkBitmap> {
    if (this.#gone !== null) return Promise.reject(new PeerChunkError(this.#gone));
    if (sameFile(this.#file, file) && this.#bitmap) return Promise.resolve(this.#bitmap);
    if (this.#due.length > 0 || this.#waiting) {
      return Promise.reject(new PeerChunkError('The peer is busy with another file.'));
    }
    this.#file = file;
    this.#bitmap = null;
    return new Promise((resolve, reject) => {
      this.#waiting = { bitmap: new ChunkBitmap(file.count), nextByte: 0, resolve, reject };
      this.#send({ type: 'want', ...file });
      this.#armStall();
    });
  }

  /** Requests one chunk the bitmap shows; resolves with its bytes, unverified. */
  fetch(file: PeerFile, index: number, length: number): Promise<Uint8Array<ArrayBuffer>> {
    if (!this.canServe(file, index)) {
      return Promise.reject(new PeerChunkError('The peer cannot serve that chunk now.'));
    }
    return new Promise((resolve, reject) => {
      this.#due.push({ index, bytes: new Uint8Array(length), received: 0, resolve, reject });
      this.#send({ type: 'request', indexes: [index] });
      this.#armStall();
    });
  }

  /** Ends the session, telling the peer why; everything due is rejected. */
  drop(code: PeerErrorCode, message: string): void {
    if (this.#gone !== null) return;
    const frames = this.connection.frames;
    void frames
      .send(encodeFrame({ type: 'error', code, message }))
      .catch(() => undefined)
      .finally(() => void this.connection.end());
    this.#die(message, false);
  }

  /** `destroy` false: the caller closes once its last frame is sent. */
  #die(reason: string, destroy = true): void {
    if (this.#gone !== null) return;
    this.#gone = reason;
    clearTimeout(this.#stall);
    this.#waiting?.reject(new PeerChunkError(reason));
    this.#waiting = null;
    this.#due.splice(0).forEach((due) => due.reject(new PeerChunkError(reason)));
    if (destroy) this.connection.destroy();
    this.onGone(this, reason);
  }

  #send(frame: PeerFrame): void {
    this.connection.frames
      .send(encodeFrame(frame))
      .catch(() => this.#die('The connection closed.'));
  }

  #armStall(): void {
    clearTimeout(this.#stall);
    if (this.#due.length === 0 && this.#waiting === null) return;
    this.#stall = setTimeout(
      () => this.drop('cancelled', 'The peer stopped sending.'),
      this.stallMs,
    );
  }

  #handle(frame: PeerFrame): void {
    switch (frame.type) {
      case 'hello':
        if (frame.version !== PEER_PROTOCOL_VERSION) {
          throw new PeerProtocolError('the peer speaks another version');
        }
        return;
      case 'have':
        return this.#onHave(frame);
      case 'chunk':
        return this.#onChunk(frame);
      case 'error':
        return this.#die(`The peer stopped: ${frame.message}`);
      default:
        throw new PeerProtocolError(`unexpected ${frame.type} frame`);
    }
  }

  #onHave(frame: Extract<PeerFrame, { type: 'have' }>): void {
    const waiting = this.#waiting;
    if (waiting === null) throw new PeerProtocolError('a bitmap nobody asked for');
    if (frame.first / 8 !== waiting.nextByte) throw new PeerProtocolError('bitmap out of order');
    waiting.bitmap.merge(frame); // refuses another count, or bits past the last chunk
    waiting.nextByte += frame.bitmap.length;
    this.#armStall();
    if (waiting.nextByte < waiting.bitmap.bytes.length) return;
    this.#waiting = null;
    this.#bitmap = waiting.bitmap;
    this.#armStall();
    waiting.resolve(waiting.bitmap);
  }

  #onChunk(frame: Extract<PeerFrame, { type: 'chunk' }>): void {
    const due = this.#due[0];
    if (due === undefined || due.index !== frame.index) {
      throw new PeerProtocolError(`chunk ${frame.index} was not the one asked for`);
    }
    if (frame.offset !== due.received) {
      throw new PeerProtocolError(`the bytes of chunk ${frame.index} came out of order`);
    }
    if (frame.data.length > due.bytes.length - due.received) {
      throw new PeerProtocolError(`more bytes than chunk ${frame.index} holds`);
    }
    due.bytes.set(frame.data, due.received);
    due.received += frame.data.length;
    if (due.received === due.bytes.length) {
      this.#due.shift();
      due.resolve(due.bytes);
    }
    this.#armStall();
  }
}

function sameFile(a: PeerFile | null, b: PeerFile): boolean {
  return a !== null && a.nodeId === b.nodeId && a.revision === b.revision && a.count === b.count;
}
