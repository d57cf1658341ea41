// Data-channel frames of a direct transfer (protocol.md, "Peer messages"). Every frame is one
// binary message of at most 16 KiB: type (1 byte) ‖ body, integers big-endian. The decoder checks
// every length and refuses unknown types; what a frame means in a session is checked by the session.
// The sizes are in core/format/limits.ts.

import {
  FRAME_DATA_BYTES,
  FRAME_HEADER_BYTES,
  ID_BYTES,
  MAX_ERROR_MESSAGE_BYTES,
  MAX_FRAME_BYTES,
  MAX_HAVE_BITMAP_BYTES,
  MAX_REQUEST_INDEXES,
  fromBase64Url,
  isId,
  toBase64Url,
} from '../format';

export const PEER_PROTOCOL_VERSION = 1;

export const PEER_ERROR = { protocol: 1, integrity: 2, cancelled: 3, unavailable: 4 } as const;
export type PeerErrorCode = keyof typeof PEER_ERROR;

export type PeerFrame =
  | { type: 'hello'; version: number }
  | { type: 'offer'; total: number; offset: number; data: Uint8Array }
  | { type: 'request'; indexes: number[] }
  | { type: 'chunk'; index: number; offset: number; data: Uint8Array }
  | { type: 'ack'; index: number }
  | { type: 'have'; count: number; first: number; bitmap: Uint8Array }
  | { type: 'done' }
  | { type: 'error'; code: PeerErrorCode; message: string }
  | { type: 'want'; nodeId: string; revision: number; count: number };

const TYPE = {
  hello: 1,
  offer: 2,
  request: 3,
  chunk: 4,
  ack: 5,
  have: 6,
  done: 7,
  error: 8,
  want: 9,
} as const;

/** A frame that breaks the rules of its type; the message says how, for the person and the log. */
export class PeerProtocolError extends Error {
  override name = 'PeerProtocolError';
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function frame(type: number, bodyLength: number, fill: (view: DataView, out: Uint8Array) => void) {
  const out = new Uint8Array(1 + bodyLength);
  out[0] = type;
  fill(new DataView(out.buffer), out);
  if (out.length > MAX_FRAME_BYTES) throw new PeerProtocolError('frame too large to send');
  return out;
}

/** `offer`, `chunk` and `have`: type, two 4-byte fields, then the data or bitmap. */
function headed(type: number, head: number, offset: number, data: Uint8Array) {
  return frame(type, FRAME_HEADER_BYTES - 1 + data.length, (view, out) => {
    view.setUint32(1, head);
    view.setUint32(5, offset);
    out.set(data, FRAME_HEADER_BYTES);
  });
}

const isU32 = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff;

export function encodeFrame(f: PeerFrame): Uint8Array {
  switch (f.type) {
    case 'hello':
      return frame(TYPE.hello, 1, (_, out) => (out[1] = f.version));
    case 'offer':
    case 'chunk': {
      const head = f.type === 'offer' ? f.total : f.index;
      if (!isU32(head) || !isU32(f.offset) || f.data.length === 0) {
        throw new PeerProtocolError(`bad ${f.type} frame`);
      }
      return headed(TYPE[f.type], head, f.offset, f.data);
    }
    case 'request':
      if (f.indexes.length === 0 || f.indexes.length > MAX_REQUEST_INDEXES) {
        throw new PeerProtocolError(`a request names 1 to ${MAX_REQUEST_INDEXES} chunks`);
      }
      return frame(TYPE.request, 4 * f.indexes.length, (view) =>
        f.indexes.forEach((index, i) => view.setUint32(1 + 4 * i, index)),
      );
    case 'ack':
      return frame(TYPE.ack, 4, (view) => view.setUint32(1, f.index));
    case 'have':
      if (f.first % 8 !== 0 || f.bitmap.length === 0) throw new PeerProtocolError('bad have frame');
      return headed(TYPE.have, f.count, f.first, f.bitmap);
    case 'done':
      return frame(TYPE.done, 0, () => undefined);
    case 'want': {
      const id = isId(f.nodeId) ? fromBase64Url(f.nodeId) : null;
      if (id === null || !isU32(f.revision) || !isU32(f.count) || f.count === 0) {
        throw new PeerProtocolError('bad want frame');
      }
      return frame(TYPE.want, ID_BYTES + 8, (view, out) => {
        out.set(id, 1);
        view.setUint32(1 + ID_BYTES, f.revision);
        view.setUint32(5 + ID_BYTES, f.count);
      });
    }
    case 'error': {
      const message = truncateUtf8(f.message, MAX_ERROR_MESSAGE_BYTES);
      return frame(TYPE.error, 1 + message.length, (_, out) => {
        out[1] = PEER_ERROR[f.code];
        out.set(message, 2);
      });
    }
  }
}

/** UTF-8 of `text`, cut at a character boundary to at most `max` bytes. */
function truncateUtf8(text: string, max: number): Uint8Array {
  let bytes = encoder.encode(text);
  while (bytes.length > max) {
    text = text.slice(0, -1);
    bytes = encoder.encode(text);
  }
  return bytes;
}

/** Decodes one received message. Throws PeerProtocolError for anything malformed. */
export function decodeFrame(message: unknown): PeerFrame {
  const bytes = asBytes(message);
  if (bytes.length === 0) throw new PeerProtocolError('empty message');
  if (bytes.length > MAX_FRAME_BYTES) {
    throw new PeerProtocolError(`message of ${bytes.length} bytes, over the 16 KiB limit`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bodyLength = bytes.length - 1;
  const exactly = (n: number, name: string) => {
    if (bodyLength !== n) throw new PeerProtocolError(`${name} frame of the wrong size`);
  };
  switch (bytes[0]) {
    case TYPE.hello:
      exactly(1, 'hello');
      return { type: 'hello', version: bytes[1]! };
    case TYPE.offer:
    case TYPE.chunk: {
      const name = bytes[0] === TYPE.offer ? 'offer' : 'chunk';
      if (bytes.length <= FRAME_HEADER_BYTES) {
        throw new PeerProtocolError(`${name} frame without data`);
      }
      const head = view.getUint32(1);
      const offset = view.getUint32(5);
      const data = bytes.subarray(FRAME_HEADER_BYTES);
      return name === 'offer'
        ? { type: 'offer', total: head, offset, data }
        : { type: 'chunk', index: head, offset, data };
    }
    case TYPE.request: {
      if (bodyLength === 0 || bodyLength % 4 !== 0 || bodyLength / 4 > MAX_REQUEST_INDEXES) {
        throw new PeerProtocolError('request frame of the wrong size');
      }
      const indexes = Array.from({ length: bodyLength / 4 }, (_, i) => view.getUint32(1 + 4 * i));
      return { type: 'request', indexes };
    }
    case TYPE.ack:
      exactly(4, 'ack');
      return { type: 'ack', index: view.getUint32(1) };
    case TYPE.have: {
      if (bytes.length <= FRAME_HEADER_BYTES) {
        throw new PeerProtocolError('have frame without a bitmap');
      }
      const first = view.getUint32(5);
      if (first % 8 !== 0) throw new PeerProtocolError('have frame not aligned to a byte');
      const bitmap = bytes.subarray(FRAME_HEADER_BYTES);
      return { type: 'have', count: view.getUint32(1), first, bitmap };
    }
    case TYPE.done:
      exactly(0, 'done');
      return { type: 'done' };
    case TYPE.error: {
      if (bodyLength < 1 || bodyLength > 1 + MAX_ERROR_MESSAGE_BYTES) {
        throw new PeerProtocolError('error frame of the wrong size');
      }
      const code = (Object.keys(PEER_ERROR) as PeerErrorCode[]).find(
        (k) => PEER_ERROR[k] === bytes[1],
      );
      if (code === undefined) throw new PeerProtocolError('unknown error code');
      let text: string;
      try {
        text = decoder.decode(bytes.subarray(2));
      } catch {
        throw new PeerProtocolError('error message is not UTF-8');
      }
      return { type: 'error', code, message: text };
    }
    case TYPE.want: {
      exactly(ID_BYTES + 8, 'want');
      const count = view.getUint32(5 + ID_BYTES);
      if (count === 0) throw new PeerProtocolError('want frame for no chunks');
      const nodeId = toBase64Url(bytes.subarray(1, 1 + ID_BYTES));
      return { type: 'want', nodeId, revision: view.getUint32(1 + ID_BYTES), count };
    }
    default:
      throw new PeerProtocolError(`unknown frame type ${bytes[0]}`);
  }
}

function asBytes(message: unknown): Uint8Array {
  if (message instanceof Uint8Array) return message;
  if (message instanceof ArrayBuffer) return new Uint8Array(message);
  throw new PeerProtocolError('not a binary message');
}

/**
 * Splits `payload` (a sealed offer, or one sealed chunk) into consecutive data frames. With
 * `scratch` (MAX_FRAME_BYTES long) every frame is written into it, each over the last: a sender
 * that sends (copies) each frame before taking the next then allocates nothing per frame.
 */
export function* dataFrames(
  kind: 'offer' | 'chunk',
  head: number,
  payload: Uint8Array,
  scratch?: Uint8Array,
): Generator<Uint8Array> {
  if (!isU32(head) || payload.length === 0 || payload.length > 0xffff_ffff) {
    throw new PeerProtocolError(`bad ${kind} frame`);
  }
  if (scratch !== undefined && scratch.length !== MAX_FRAME_BYTES) {
    throw new RangeError('a scratch frame is MAX_FRAME_BYTES long');
  }
  const scratchHead =
    scratch && new DataView(scratch.buffer, scratch.byteOffset, FRAME_HEADER_BYTES);
  for (let offset = 0; offset < payload.length; offset += FRAME_DATA_BYTES) {
    const data = payload.subarray(offset, offset + FRAME_DATA_BYTES);
    const length = FRAME_HEADER_BYTES + data.length;
    const out = scratch?.subarray(0, length) ?? new Uint8Array(length);
    const view = scratchHead ?? new DataView(out.buffer, 0, FRAME_HEADER_BYTES);
    out[0] = TYPE[kind];
    view.setUint32(1, head);
    view.setUint32(5, offset);
    out.set(data, FRAME_HEADER_BYTES);
    yield out;
  }
}

/** Which chunks of a file are held: bit i of byte ⌊i/8⌋, most significant bit first. */
export class ChunkBitmap {
  readonly bytes: Uint8Array;
  #held = 0;

  constructor(readonly count: number) {
    this.bytes = new Uint8Array(Math.ceil(count / 8));
  }

  has(index: number): boolean {
    return (this.bytes[index >> 3]! & (0x80 >> (index & 7))) !== 0;
  }

  set(index: number): void {
    if (index < 0 || index >= this.count || this.has(index)) return;
    this.bytes[index >> 3]! |= 0x80 >> (index & 7);
    this.#held += 1;
  }

  get held(): number {
    return this.#held;
  }

  get complete(): boolean {
    return this.#held === this.count;
  }

  /** The `have` frames that describe this bitmap. */
  *frames(): Generator<Uint8Array> {
    for (let byte = 0; byte < this.bytes.length; byte += MAX_HAVE_BITMAP_BYTES) {
      const bitmap = this.bytes.subarray(byte, byte + MAX_HAVE_BITMAP_BYTES);
      yield encodeFrame({ type: 'have', count: this.count, first: byte * 8, bitmap });
    }
  }

  /** Applies a received `have` frame; a count or range that disagrees with ours is refused. */
  merge(frame: { count: number; first: number; bitmap: Uint8Array }): void {
    const start = frame.first / 8;
    if (frame.count !== this.count || start + frame.bitmap.length > this.bytes.length) {
      throw new PeerProtocolError('have frame for another file');
    }
    frame.bitmap.forEach((byte, i) => {
      for (let bit = 0; bit < 8; bit += 1) {
        if (byte & (0x80 >> bit)) {
          const index = (start + i) * 8 + bit;
          if (index >= this.count) throw new PeerProtocolError('have frame past the last chunk');
          this.set(index);
        }
      }
    });
  }
}
