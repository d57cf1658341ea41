// The serving side of a link session (protocol.md §6, "Link sessions"): answers `want` with the
// bitmap of the sealed chunks this device holds of that file (empty when the link does not grant
// it), then sends requested chunks in request order. It reads only what `SeedSource` allows, so a
// peer can never obtain a chunk of a file outside the link.
import { LINK_QUEUED_INDEXES, MAX_FRAME_BYTES } from '@coffre/core/format';
import type { ChunkBitmap } from '@coffre/core/protocol/peer-frames';
import {
  PEER_PROTOCOL_VERSION,
  PeerProtocolError,
  dataFrames,
  decodeFrame,
  encodeFrame,
  type PeerFrame,
} from '@coffre/core/protocol/peer-frames';
import type { PeerFile } from '../../downloads/chunk-peers';
import type { PeerConnection } from '../wire/peer';

/** Sealed chunks this device may serve in one link's room. */
export interface SeedSource {
  /** The chunks held of `file`; none when it is not held, another revision, or not in the link. */
  holds(file: PeerFile): Promise<ChunkBitmap>;
  /** A chunk `holds` reported, or null if it is gone since (evicted). */
  read(file: PeerFile, index: number): Promise<Uint8Array | null>;
}

export function serveLinkPeer(connection: PeerConnection, source: SeedSource): void {
  const { frames } = connection;
  let file: PeerFile | null = null;
  let held: ChunkBitmap | null = null;
  const queue: number[] = [];
  let sending = false;
  let ended = false;

  const end = (code: 'protocol' | 'unavailable', message: string) => {
    if (ended) return;
    ended = true;
    void frames
      .send(encodeFrame({ type: 'error', code, message }))
      .catch(() => undefined)
      .finally(() => void connection.end());
  };

  const pump = async () => {
    if (sending) return;
    sending = true;
    const scratch = new Uint8Array(MAX_FRAME_BYTES); // each frame is sent before the next is written
    try {
      while (!ended && queue.length > 0 && file !== null) {
        const index = queue[0]!;
        const chunk = await source.read(file, index);
        if (chunk === null) return end('unavailable', `Chunk ${index} is no longer here.`);
        for (const frame of dataFrames('chunk', index, chunk, scratch)) {
          if (ended) return;
          await frames.send(frame);
        }
        queue.shift();
      }
    } catch {
      end('unavailable', 'The chunks could not be read.');
    } finally {
      sending = false;
    }
  };

  const onWant = async (wanted: PeerFile) => {
    file = wanted;
    held = null;
    const bitmap = await source.holds(wanted);
    if (file !== wanted || ended) return; // replaced meanwhile
    held = bitmap;
    for (const frame of bitmap.frames()) await frames.send(frame);
  };

  const onRequest = (indexes: number[]) => {
    if (held === null) throw new PeerProtocolError('a request before the bitmap');
    if (queue.length + indexes.length > LINK_QUEUED_INDEXES)
      throw new PeerProtocolError('too many requests');
    for (const index of indexes) {
      if (index >= held.count || !held.has(index)) {
        throw new PeerProtocolError(`a request for chunk ${index}, which is not offered`);
      }
      queue.push(index);
    }
    void pump();
  };

  const handle = (frame: PeerFrame) => {
    switch (frame.type) {
      case 'hello':
        if (frame.version !== PEER_PROTOCOL_VERSION) throw new PeerProtocolError('version');
        return;
      case 'want':
        if (queue.length > 0) throw new PeerProtocolError('a new file while chunks are due');
        onWant({ nodeId: frame.nodeId, revision: frame.revision, count: frame.count }).catch(() =>
          end('unavailable', 'The chunks could not be read.'),
        );
        return;
      case 'request':
        return onRequest(frame.indexes);
      case 'error':
        ended = true;
        return void connection.end();
      default:
        throw new PeerProtocolError(`unexpected ${frame.type} frame`);
    }
  };

  frames.onFrame((bytes) => {
    if (ended) return;
    try {
      handle(decodeFrame(bytes));
    } catch (error) {
      end('protocol', error instanceof PeerProtocolError ? error.message : 'malformed message');
    }
  });
  frames.onClose(() => {
    ended = true;
    queue.length = 0;
  });
  void frames.send(encodeFrame({ type: 'hello', version: PEER_PROTOCOL_VERSION })).catch(() => {
    ended = true;
  });
}
