import { describe, expect, it } from 'vitest';
import { FRAME_DATA_BYTES, MAX_FRAME_BYTES } from '@coffre/core/format';
import {
  ChunkBitmap,
  PeerProtocolError,
  dataFrames,
  decodeFrame,
  encodeFrame,
  type PeerFrame,
} from '@coffre/core/protocol/peer-frames';

describe('peer frames', () => {
  const frames: PeerFrame[] = [
    { type: 'hello', version: 1 },
    { type: 'offer', total: 40000, offset: 16375, data: new Uint8Array(100).fill(3) },
    { type: 'request', indexes: [0, 1, 7, 2 ** 32 - 1] },
    { type: 'chunk', index: 5, offset: 0, data: new Uint8Array(FRAME_DATA_BYTES).fill(9) },
    { type: 'ack', index: 12 },
    { type: 'have', count: 20, first: 8, bitmap: Uint8Array.of(0xf0, 0x80) },
    { type: 'done' },
    { type: 'error', code: 'integrity', message: 'chunk 3 failed its check' },
    { type: 'want', nodeId: 'AAECAwQFBgcICQoLDA0ODw', revision: 3, count: 10 },
  ];

  it('round-trips every type within 16 KiB', () => {
    for (const frame of frames) {
      const bytes = encodeFrame(frame);
      expect(bytes.length).toBeLessThanOrEqual(MAX_FRAME_BYTES);
      expect(decodeFrame(bytes)).toEqual(frame);
      expect(decodeFrame(bytes.slice().buffer)).toEqual(frame);
    }
  });

  it('writes the same frames into one scratch buffer, each over the last', () => {
    const chunk = new Uint8Array(3 * FRAME_DATA_BYTES + 5).map((_, i) => (i * 7) % 253);
    const fresh = [...dataFrames('chunk', 9, chunk)];
    const scratch = new Uint8Array(MAX_FRAME_BYTES);
    let i = 0;
    for (const frame of dataFrames('chunk', 9, chunk, scratch)) {
      expect(frame.buffer).toBe(scratch.buffer); // nothing allocated per frame
      expect(Buffer.from(frame).equals(fresh[i]!)).toBe(true); // read before the next is written
      i += 1;
    }
    expect(i).toBe(4);
    expect(() => [...dataFrames('chunk', 9, chunk, new Uint8Array(100))]).toThrow(RangeError);
    expect(() => [...dataFrames('chunk', -1, chunk)]).toThrow(PeerProtocolError);
    expect(() => [...dataFrames('offer', 1, new Uint8Array(0))]).toThrow(PeerProtocolError);
  });

  it('splits a chunk into consecutive frames that cover it exactly', () => {
    const chunk = new Uint8Array(4 * 1024 * 1024 + 41).map((_, i) => i % 251);
    const parts = [...dataFrames('chunk', 3, chunk)].map(decodeFrame);
    expect(parts).toHaveLength(257);
    const joined = new Uint8Array(chunk.length);
    for (const part of parts) {
      if (part.type !== 'chunk') throw new Error('chunk frame expected');
      expect(part.index).toBe(3);
      joined.set(part.data, part.offset);
    }
    expect(Buffer.from(joined).equals(chunk)).toBe(true);
  });

  it('refuses oversized, truncated, empty, unknown and garbage messages', () => {
    const refuse = (message: unknown, pattern: RegExp) =>
      expect(() => decodeFrame(message)).toThrow(pattern);
    refuse(new Uint8Array(MAX_FRAME_BYTES + 1).fill(4), /over the 16 KiB limit/);
    refuse(new Uint8Array(0), /empty/);
    refuse(Uint8Array.of(99, 1, 2), /unknown frame type 99/);
    refuse(Uint8Array.of(0), /unknown frame type 0/);
    refuse('text message', /not a binary message/);
    refuse(Uint8Array.of(1), /hello frame of the wrong size/);
    refuse(Uint8Array.of(1, 1, 1), /hello frame of the wrong size/);
    refuse(Uint8Array.of(4, 0, 0, 0, 1, 0, 0, 0, 0), /chunk frame without data/);
    refuse(Uint8Array.of(3, 0, 0, 1), /request frame of the wrong size/);
    refuse(
      new Uint8Array(1 + 4 * 65).fill(0).map((v, i) => (i === 0 ? 3 : v)),
      /request/,
    );
    refuse(Uint8Array.of(5, 0, 0, 0), /ack frame of the wrong size/);
    refuse(Uint8Array.of(6, 0, 0, 0, 9, 0, 0, 0, 3, 1), /not aligned/);
    refuse(Uint8Array.of(7, 0), /done frame of the wrong size/);
    refuse(Uint8Array.of(8, 9), /unknown error code/);
    refuse(Uint8Array.of(8, 1, 0xff), /not UTF-8/);
    refuse(Uint8Array.of(9, 1, 2, 3), /want frame of the wrong size/);
    refuse(
      new Uint8Array(25).fill(0).map((v, i) => (i === 0 ? 9 : v)),
      /want frame for no/,
    );
    for (let i = 0; i < 200; i += 1) {
      const garbage = crypto.getRandomValues(new Uint8Array(1 + (i % 40)));
      try {
        decodeFrame(garbage);
      } catch (error) {
        expect(error).toBeInstanceOf(PeerProtocolError);
      }
    }
  });

  it('refuses to build frames that break the limits', () => {
    expect(() => encodeFrame({ type: 'request', indexes: [] })).toThrow(PeerProtocolError);
    expect(() => encodeFrame({ type: 'want', nodeId: 'not an id', revision: 1, count: 1 })).toThrow(
      /bad want frame/,
    );
    expect(() =>
      encodeFrame({
        type: 'chunk',
        index: 0,
        offset: 0,
        data: new Uint8Array(FRAME_DATA_BYTES + 1),
      }),
    ).toThrow(/too large/);
    const long = encodeFrame({ type: 'error', code: 'protocol', message: 'é'.repeat(300) });
    expect(long.length).toBeLessThanOrEqual(2 + 256);
  });
});

describe('chunk bitmap', () => {
  it('round-trips through have frames and refuses one for another file', () => {
    const held = new ChunkBitmap(300_000);
    for (const i of [0, 7, 8, 131_000, 299_999]) held.set(i);
    const copy = new ChunkBitmap(300_000);
    const frames = [...held.frames()];
    expect(frames.length).toBeGreaterThan(1);
    for (const bytes of frames) {
      const frame = decodeFrame(bytes);
      if (frame.type !== 'have') throw new Error('have expected');
      copy.merge(frame);
    }
    expect(copy.held).toBe(5);
    expect(copy.has(131_000) && copy.has(299_999) && !copy.has(1)).toBe(true);
    expect(() =>
      new ChunkBitmap(10).merge({ count: 11, first: 0, bitmap: Uint8Array.of(1) }),
    ).toThrow(/another file/);
    expect(() =>
      new ChunkBitmap(10).merge({ count: 10, first: 0, bitmap: Uint8Array.of(0, 0x20) }),
    ).toThrow(/past the last chunk/);
  });
});
