// The signal envelope at its limit (format.md §13.5, protocol.md §5.3–5.4), through a real signal
// server at the smallest message size it may run with: what a client seals is relayed whole and
// opens; one byte more is refused by the relay and never sealed by a client.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  FormatError,
  MAX_SIGNAL_TEXT,
  MIN_SIGNAL_FRAME_BYTES,
  fromBase64Url,
} from '@coffre/core/format';
import { RelayedSignal, matches } from '@coffre/core/protocol';
import { initCrypto } from '@coffre/core/crypto';
import { SignalSession, decodeEnvelope } from '@coffre/core/crypto/internal/peer-signals';
import { signalOfBytes, type LimitVectors } from '../vectors/limits-vectors';
import { client, joinAs, nextSignal, sealed, signal, startSignal } from './signal-harness';

const vectors = JSON.parse(
  readFileSync(new URL('../vectors/limits.json', import.meta.url), 'utf8'),
) as LimitVectors;
const { roomId } = vectors.signal;
const sessionKey = fromBase64Url(vectors.signal.sessionKey);

beforeAll(initCrypto);

/** Two members of the vectors' room on a server at the smallest message size limit. */
async function pair() {
  const { url } = await startSignal({ maxMessageBytes: MIN_SIGNAL_FRAME_BYTES });
  const [a, b] = await Promise.all([client(url), client(url)]);
  await joinAs(a, roomId);
  return { a, b, bId: await joinAs(b, roomId) };
}

describe('signal envelope limit', () => {
  it('relays the largest envelope a client seals, whole, and it opens', async () => {
    const { a, b, bId } = await pair();
    const sender = new SignalSession(sessionKey, roomId, 'sender');
    const receiver = new SignalSession(sessionKey, roomId, 'receiver');
    const largest = signalOfBytes(vectors.figures.MAX_SIGNAL_PLAINTEXT!);
    for (const message of [{ t: 'confirm' } as const, largest]) {
      const data = sender.seal(message);
      const received = nextSignal(b);
      expect(await signal(a, { roomId, to: bId, data })).toEqual({ ok: true });
      const relayed = await received;
      expect(matches(RelayedSignal, relayed)).toBe(true);
      expect(relayed.data).toBe(data);
      expect(receiver.open(decodeEnvelope(relayed.data))).toEqual(message);
      if (message === largest) expect(data).toHaveLength(MAX_SIGNAL_TEXT);
    }
  });

  it('relays the vectors’ largest envelope byte for byte', async () => {
    const { a, b, bId } = await pair();
    const received = nextSignal(b);
    const data = vectors.signal.largest.text;
    expect(await signal(a, { roomId, to: bId, data })).toEqual({ ok: true });
    expect((await received).data).toBe(data);
  });

  it('refuses an envelope one byte longer, which no client seals, and relays nothing', async () => {
    const { a, b, bId } = await pair();
    const sender = new SignalSession(sessionKey, roomId, 'sender');
    sender.seal({ t: 'confirm' });
    const tooLarge = signalOfBytes(vectors.figures.MAX_SIGNAL_PLAINTEXT! + 1);
    expect(() => sender.seal(tooLarge)).toThrow(FormatError);

    const received = nextSignal(b);
    const over = { roomId, to: bId, data: vectors.signal.oneByteOver };
    expect(await signal(a, over)).toEqual({ ok: false, error: 'bad_request' });
    // The socket stays, and the next signal b gets is the one after the refused one.
    const next = sealed();
    expect(await signal(a, { roomId, to: bId, data: next })).toEqual({ ok: true });
    expect((await received).data).toBe(next);
  });
});
