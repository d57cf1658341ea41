// A scripted malicious peer in a link's room: it knows the link key (anyone with the link does),
// answers every `want` with a full bitmap, and then breaks the rules in one chosen way. It records
// the `error` frames the downloading page sends back, so a test can see why it was refused.
import { FRAME_DATA_BYTES, MAX_FRAME_BYTES } from '@coffre/core/format';
import {
  ChunkBitmap,
  dataFrames,
  decodeFrame,
  encodeFrame,
} from '@coffre/core/protocol/peer-frames';
import { LinkRoom } from '../../../client/src/services/p2p/link-room/room';
import { p2pCrypto } from '../../../client/src/services/p2p/wire/p2p-crypto';
import type { PeerConnection } from '../../../client/src/services/p2p/wire/peer';
import { SignalingClient } from '../../../client/src/services/p2p/wire/signaling';

export type LinkMisbehaviour = 'other-file' | 'garbage' | 'oversized' | 'out-of-order' | 'no-final';

/** A full chunk's sealed size (format.md §5); what the scripted peer pretends to send. */
const FULL_CHUNK = 4 * 1024 * 1024 + 41;

const refusals: { code: string; message: string }[] = [];
let rooms: LinkRoom[] = [];
const stalled = new WeakSet<PeerConnection>();

function misbehave(connection: PeerConnection, how: LinkMisbehaviour): void {
  const { frames } = connection;
  const send = (frame: Uint8Array) => frames.send(frame).catch(() => undefined);
  frames.onFrame((bytes) => {
    const frame = decodeFrame(bytes);
    if (frame.type === 'hello') void send(encodeFrame({ type: 'hello', version: 1 }));
    if (frame.type === 'error') refusals.push({ code: frame.code, message: frame.message });
    if (frame.type === 'want') {
      const bitmap = new ChunkBitmap(frame.count);
      for (let i = 0; i < frame.count; i += 1) bitmap.set(i);
      for (const have of bitmap.frames()) void send(have);
    }
    if (frame.type !== 'request') return;
    const index = frame.indexes[0]!;
    const other = crypto.getRandomValues(new Uint8Array(FRAME_DATA_BYTES));
    switch (how) {
      case 'other-file': {
        // The right length, bytes of something else: only the SHA-256 check can tell.
        const chunk = new Uint8Array(FULL_CHUNK);
        for (let at = 0; at < chunk.length; at += other.length)
          chunk.set(other.subarray(0, chunk.length - at), at);
        for (const part of dataFrames('chunk', index, chunk)) void send(part);
        return;
      }
      case 'garbage':
        void send(Uint8Array.of(0x04, 0, 0));
        return;
      case 'oversized':
        void send(new Uint8Array(MAX_FRAME_BYTES * 2).fill(0x04));
        return;
      case 'out-of-order':
        void send(encodeFrame({ type: 'chunk', index, offset: FRAME_DATA_BYTES, data: other }));
        return;
      case 'no-final':
        // The first chunk asked for starts and never ends; nothing else is sent.
        if (stalled.has(connection)) return;
        stalled.add(connection);
        void send(encodeFrame({ type: 'chunk', index, offset: 0, data: other }));
        return;
    }
  });
}

export const linkSeederHarness = {
  async join(o: { signalUrl: string; linkKey: string; how: LinkMisbehaviour }): Promise<void> {
    const core = await p2pCrypto();
    const { roomId, signalingKey } = core.linkRoom(o.linkKey);
    const signaling = await SignalingClient.connect(o.signalUrl);
    const { room } = await LinkRoom.join({
      signaling,
      roomId,
      signalingKey,
      iceServers: [],
      onReceiver: (connection) => misbehave(connection, o.how),
    });
    rooms.push(room);
  },

  leave(): void {
    rooms.forEach((room) => room.close());
    rooms = [];
  },

  /** The error frames downloaders sent this peer, oldest first. */
  refusals: () => refusals.splice(0),
};
