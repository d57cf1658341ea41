import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as format from '@coffre/core/format';
import { FormatError, associatedData, fromBase64Url } from '@coffre/core/format';
import * as protocol from '@coffre/core/protocol';
import { ProtocolError, check } from '@coffre/core/protocol';
import {
  ChunkBitmap,
  PeerProtocolError,
  decodeFrame,
  encodeFrame,
} from '@coffre/core/protocol/peer-frames';
import { IntegrityError, initCrypto, validateName } from '@coffre/core/crypto';
import { sealNodeMeta } from '@coffre/core/crypto/internal/nodes';
import {
  SignalSession,
  decodeEnvelope,
  offerKey,
  openOffer,
  sealOffer,
} from '@coffre/core/crypto/internal/peer-signals';
import { seal } from '@coffre/core/crypto/internal/sealed';
import {
  makeLimitVectors,
  signalOfBytes,
  type FrameBytes,
  type LimitError,
  type LimitOp,
  type LimitVectors,
} from './limits-vectors';

const vectors = JSON.parse(
  readFileSync(new URL('./limits.json', import.meta.url), 'utf8'),
) as LimitVectors;
const { signal } = vectors;
const sessionKey = fromBase64Url(signal.sessionKey);

beforeAll(initCrypto);

const ERRORS: Record<LimitError, new (...args: never[]) => Error> = {
  IntegrityError,
  FormatError,
  PeerProtocolError,
  ProtocolError,
};

function frameOf({ head, fill, length }: FrameBytes): Uint8Array {
  const bytes = new Uint8Array(length).fill(fill);
  bytes.set(Buffer.from(head, 'hex'));
  return bytes;
}

/** Runs one case; throws what the code under test throws. */
function run(c: LimitOp): void {
  switch (c.op) {
    case 'openSignal': {
      const receiver = new SignalSession(sessionKey, signal.roomId, 'receiver');
      receiver.open(decodeEnvelope(signal.confirm));
      receiver.open(decodeEnvelope(c.text));
      return;
    }
    case 'decodeEnvelope':
      decodeEnvelope(c.text);
      return;
    case 'sealSignal': {
      const sender = new SignalSession(sessionKey, signal.roomId, 'sender');
      sender.seal({ t: 'confirm' });
      sender.seal(signalOfBytes(c.plaintextBytes));
      return;
    }
    case 'decodeFrame':
      decodeFrame(frameOf(c.frame));
      return;
    case 'encodeFrame': {
      const data = new Uint8Array(c.dataBytes);
      encodeFrame(
        c.type === 'have'
          ? { type: 'have', count: 8 * c.dataBytes, first: 0, bitmap: data }
          : { type: 'chunk', index: 0, offset: 0, data },
      );
      return;
    }
    case 'sealOffer': {
      const offer = { ...vectors.offer, mime: c.mime, manifest: 'A'.repeat(c.manifestLength) };
      const sealed = sealOffer(sessionKey, signal.roomId, offer);
      expect(openOffer(sessionKey, signal.roomId, sealed)).toEqual(offer);
      return;
    }
    case 'openOffer': {
      // The offer's own construction (format.md §13.6), sealed here without sealOffer's check.
      const { v, nodeId, revision, name, mime, size, contentKey } = vectors.offer;
      const manifest = 'A'.repeat(c.manifestLength);
      const offer = { v, nodeId, revision, name, mime, size, manifest, contentKey };
      const plaintext = new TextEncoder().encode(JSON.stringify(offer));
      const ad = associatedData('p2p-offer', signal.roomId);
      openOffer(sessionKey, signal.roomId, seal(offerKey(sessionKey), ad, plaintext));
      return;
    }
    case 'validateName':
      validateName(c.text);
      return;
    case 'sealNodeMeta': {
      const id = 'AAAAAAAAAAAAAAAAAAAAAA';
      const meta = { name: 'x', mtime: null, mime: c.mime, size: 0 };
      sealNodeMeta(id, id, 'file', new Uint8Array(32), meta);
      return;
    }
    case 'schema':
      check(protocol[c.schema], c.value);
      return;
  }
}

describe('limit vectors (format.md §8, §13; protocol.md §5, §6)', () => {
  it('are what the code makes, byte for byte', () => {
    expect(JSON.parse(JSON.stringify(makeLimitVectors()))).toEqual(vectors);
  });

  it('figure as core/format/limits.ts computes them', () => {
    const exported = format as unknown as Record<string, unknown>;
    for (const [name, figure] of Object.entries(vectors.figures)) {
      expect({ name, figure: exported[name] }).toEqual({ name, figure });
    }
    expect(format.maxSealedManifestSize(format.MAX_CHUNKS)).toBe(
      vectors.figures.MAX_SEALED_MANIFEST,
    );
  });

  it('seal the largest signal into an envelope of exactly MAX_SIGNAL_TEXT characters', () => {
    expect(signal.largest.text).toHaveLength(vectors.figures.MAX_SIGNAL_TEXT!);
    expect(fromBase64Url(signal.largest.text)).toHaveLength(
      vectors.figures.MAX_SIGNAL_ENVELOPE_BYTES!,
    );
    expect(signal.oneByteOver).toHaveLength(vectors.figures.MAX_SIGNAL_TEXT! + 1);
    const receiver = new SignalSession(sessionKey, signal.roomId, 'receiver');
    receiver.open(decodeEnvelope(signal.confirm));
    expect(receiver.open(decodeEnvelope(signal.largest.text))).toEqual(signal.largest.message);
  });

  it('send a whole bitmap of 131,000 chunks in one largest have frame, and one more in two', () => {
    const count = 8 * vectors.figures.MAX_HAVE_BITMAP_BYTES!;
    const full = new ChunkBitmap(count);
    for (let i = 0; i < count; i += 1) full.set(i);
    const [only, ...rest] = [...full.frames()];
    expect(rest).toEqual([]);
    expect(only).toHaveLength(vectors.figures.MAX_FRAME_BYTES!);
    const copy = new ChunkBitmap(count);
    const frame = decodeFrame(only);
    if (frame.type !== 'have') throw new Error('have expected');
    copy.merge(frame);
    expect(copy.complete).toBe(true);
    expect([...new ChunkBitmap(count + 1).frames()]).toHaveLength(2);
  });

  describe.each(vectors.edges)('$limit', ({ at, over }) => {
    it(`accepts ${at.name}`, () => {
      expect(() => run(at)).not.toThrow();
    });
    it(`refuses ${over.name}`, () => {
      expect(() => run(over)).toThrow(ERRORS[over.error]);
    });
  });
});
