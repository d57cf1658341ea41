// Introductions in a link room (format.md §13.7) through a relay the test controls: an honest
// relay brings a pair to its confirmation (WebRTC, absent in Node, is all that is left); a relay
// that alters, redirects or replays a message, or a stranger without the link key, never gets
// that far: the attempt fails with a clear error and nothing else happens.
import { beforeAll, describe, expect, it } from 'vitest';
import { initCrypto } from '@coffre/core/crypto';
import { linkRoom } from '@coffre/core/crypto/internal/pairing';
import { fromBase64Url, toBase64Url } from '@coffre/core/format';
import { LinkRoom } from '../../client/src/services/p2p/link-room/room';
import type { RelayedSignal, SignalingClient } from '../../client/src/services/p2p/wire/signaling';

beforeAll(initCrypto);

const LINK_KEY = toBase64Url(new Uint8Array(32).fill(7));
const STRANGER_KEY = toBase64Url(new Uint8Array(32).fill(8));
const CONNECT_FAILED = 'No direct connection could be made.';
const TAMPERED = 'A message in the link room failed its check.';

type Rewrite = (signal: RelayedSignal, to: string, sent: RelayedSignal[]) => RelayedSignal | null;

/** One room of a signal server in memory; `rewrite` plays a hostile server. */
class Relay {
  readonly members = new Map<string, (signal: RelayedSignal) => void>();
  readonly sent: RelayedSignal[] = [];
  rewrite: Rewrite = (signal) => signal;

  client(peerId: string): SignalingClient {
    const { members, sent } = this;
    const rewrite: Rewrite = (signal, to, before) => this.rewrite(signal, to, before);
    return {
      join: async () => [...members.keys()].filter((member) => member !== peerId),
      leave: () => members.delete(peerId),
      send: async (roomId: string, to: string, data: string) => {
        const signal = rewrite({ roomId, from: peerId, data }, to, sent);
        sent.push({ roomId, from: peerId, data });
        const deliver = signal && members.get(to);
        if (deliver) setImmediate(() => deliver(signal));
      },
      onSignal: (handler: (signal: RelayedSignal) => void) => {
        members.set(peerId, handler);
        return () => undefined;
      },
      onPeer: () => () => undefined,
    } as unknown as SignalingClient;
  }
}

async function introduce(relay: Relay, receiverKey = LINK_KEY): Promise<string> {
  const seeder = linkRoom(LINK_KEY);
  await LinkRoom.join({
    signaling: relay.client('seeder'),
    ...seeder,
    iceServers: [],
    onReceiver: () => undefined,
  });
  const downloader = linkRoom(receiverKey);
  const { room, peers } = await LinkRoom.join({
    signaling: relay.client('downloader'),
    roomId: seeder.roomId, // a stranger who found the room id still lacks the key
    signalingKey: downloader.signalingKey,
    iceServers: [],
  });
  expect(peers).toEqual(['seeder']);
  return room.connectTo('seeder').then(
    () => 'connected',
    (error: Error) => error.message,
  );
}

const flipLastByte = (data: string) => {
  const bytes = fromBase64Url(data);
  bytes[bytes.length - 1]! ^= 1;
  return toBase64Url(bytes);
};

describe('link room introductions', () => {
  it('confirm an honest pair (only WebRTC, absent here, is left)', async () => {
    expect(await introduce(new Relay())).toBe(CONNECT_FAILED);
  });

  it('fail when the relay alters a sealed message', async () => {
    const relay = new Relay();
    relay.rewrite = (signal, _, sent) =>
      sent.length === 2 ? { ...signal, data: flipLastByte(signal.data) } : signal; // the confirmation
    expect(await introduce(relay)).toBe(TAMPERED);
  });

  it('fail when the relay replays a message in place of the next', async () => {
    const relay = new Relay();
    relay.rewrite = (signal, _, sent) =>
      sent.length === 2 ? { ...signal, data: sent[1]!.data } : signal;
    expect(await introduce(relay)).toBe(TAMPERED);
  });

  it('fail for a peer without the link key', async () => {
    expect(await introduce(new Relay(), STRANGER_KEY)).toBe(TAMPERED);
  });
});
