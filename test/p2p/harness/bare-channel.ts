// The benchmark's baseline: a bare RTCPeerConnection and RTCDataChannel moving the same number of
// bytes in the same 16 KiB messages, with the same water marks, and nothing else: no framing, no
// requests or acks, no crypto. Its signals cross the same relay in the clear (test only).
import {
  HIGH_WATER_BYTES,
  LOW_WATER_BYTES,
} from '../../../client/src/services/p2p/wire/frame-channel';
import { SignalingClient } from '../../../client/src/services/p2p/wire/signaling';
import { fromBase64Url, toBase64Url } from '@coffre/core/format';
import { trackMemory } from './memory';

const MESSAGE_BYTES = 16 * 1024;

interface BareOptions {
  signalUrl: string;
  roomId: string;
  size: number;
}

async function relay(o: BareOptions, pc: RTCPeerConnection, initiator: boolean) {
  const signaling = await SignalingClient.connect(o.signalUrl);
  let peer: string | null = null;
  const outbox: string[] = [];
  const flush = () => {
    if (peer) for (const data of outbox.splice(0)) void signaling.send(o.roomId, peer, data);
  };
  const post = (value: unknown) => {
    // Signal data is base64url on the wire (protocol.md); here it carries plain JSON.
    outbox.push(toBase64Url(new TextEncoder().encode(JSON.stringify(value))));
    flush();
  };
  pc.onicecandidate = (event) => event.candidate && post({ candidate: event.candidate.toJSON() });
  signaling.onSignal(async ({ from, data }) => {
    peer ??= from;
    const message = JSON.parse(new TextDecoder().decode(fromBase64Url(data))) as {
      description?: RTCSessionDescriptionInit;
      candidate?: RTCIceCandidateInit;
    };
    if (message.description) {
      await pc.setRemoteDescription(message.description);
      if (message.description.type === 'offer') {
        await pc.setLocalDescription(await pc.createAnswer());
        post({ description: pc.localDescription });
      }
    } else if (message.candidate) {
      await pc.addIceCandidate(message.candidate);
    }
  });
  // The initiator offers as soon as it knows its peer, whichever of the two joined first.
  let offered = false;
  const meet = (other: string) => {
    peer = other;
    if (initiator && !offered) {
      offered = true;
      void pc
        .createOffer()
        .then((offer) => pc.setLocalDescription(offer))
        .then(() => post({ description: pc.localDescription }));
    }
    flush();
  };
  signaling.onPeer('peer-joined', (_room, joined) => meet(joined));
  const peers = await signaling.join(o.roomId);
  if (peers.length > 0) meet(peers[0]!);
  return signaling;
}

/** Joins first and waits for the receiver; sends `size` bytes once the channel opens. */
export async function bareSend(o: BareOptions): Promise<{ ok: boolean }> {
  const pc = new RTCPeerConnection({ iceServers: [] });
  const channel = pc.createDataChannel('bare');
  channel.binaryType = 'arraybuffer';
  channel.bufferedAmountLowThreshold = LOW_WATER_BYTES;
  const signaling = await relay(o, pc, true);
  await new Promise((resolve) => (channel.onopen = resolve));
  const message = new Uint8Array(MESSAGE_BYTES).fill(7);
  for (let sent = 0; sent < o.size; sent += MESSAGE_BYTES) {
    if (channel.bufferedAmount >= HIGH_WATER_BYTES) {
      await new Promise((resolve) => (channel.onbufferedamountlow = resolve));
    }
    channel.send(o.size - sent >= MESSAGE_BYTES ? message : message.subarray(0, o.size - sent));
  }
  // Wait for the receiver to confirm the last byte before closing.
  await new Promise((resolve) => (channel.onmessage = resolve));
  signaling.close();
  pc.close();
  return { ok: true };
}

export async function bareReceive(o: BareOptions) {
  const memory = trackMemory();
  const pc = new RTCPeerConnection({ iceServers: [] });
  let started = performance.now();
  const signaling = await relay(o, pc, false);
  const bytes = await new Promise<number>((resolve) => {
    pc.ondatachannel = ({ channel }) => {
      started = performance.now(); // timed from the open channel, as the transport from its offer
      channel.binaryType = 'arraybuffer';
      let received = 0;
      channel.onmessage = ({ data }) => {
        received += (data as ArrayBuffer).byteLength;
        if (received >= o.size) {
          channel.send('done');
          resolve(received);
        }
      };
    };
  });
  const seconds = (performance.now() - started) / 1000;
  signaling.close();
  setTimeout(() => pc.close(), 1000);
  return { ok: true, bytes, seconds, heapPeak: memory.stop() };
}
