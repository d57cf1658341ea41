// A file handed from one device to another over a direct connection, introduced by a pairing
// code. The sender made the code and holds the file; the receiver typed the code.
import type { PeerOffer } from '../../../../core/crypto/p2p';
import type { ChunkBitmap } from '../../../../core/protocol/peer-frames';
import { introduce } from './introduction';
import { type ChunkOpener, pairedOfferCheck, sealFileOffer } from './offer';
import { p2pCrypto } from './p2p-crypto';
import { connectPeer } from './peer';
import { SignalingClient, fetchIceServers } from './signaling';
import { type ChunkSink, receiveTransfer } from './transfer-receiver';
import { sendTransfer } from './transfer-sender';

export interface OfferedFile extends Omit<PeerOffer, 'v' | 'contentKey'> {
  contentKey: string;
  count: number;
}

export async function sendToDevice(options: {
  signalUrl: string;
  code: string;
  file: OfferedFile;
  readChunk: (index: number) => Promise<Uint8Array>;
  onProgress?: (acknowledged: number, count: number) => void;
}): Promise<void> {
  const { signalUrl, code, file, readChunk, onProgress } = options;
  const core = await p2pCrypto();
  const [signaling, iceServers] = await Promise.all([
    SignalingClient.connect(signalUrl),
    fetchIceServers(signalUrl),
  ]);
  try {
    const signals = await introduce(signaling, core.pairingHandshake(code, 'sender'));
    const connection = await connectPeer(signals, true, iceServers);
    try {
      const { count, ...offer } = file;
      const sealedOffer = await sealFileOffer(signals.sessionKey, signals.roomId, offer);
      await sendTransfer(connection.frames, { sealedOffer, count, readChunk, onProgress });
    } finally {
      await connection.end();
    }
  } finally {
    signaling.close();
  }
}

export async function receiveFromDevice(options: {
  signalUrl: string;
  code: string;
  openChunk: ChunkOpener;
  sink: ChunkSink;
  onOffer?: (offer: PeerOffer) => void;
  onProgress?: (held: number, count: number) => void;
  stallMs?: number;
}): Promise<ChunkBitmap> {
  const { signalUrl, code, openChunk, sink, onOffer, onProgress, stallMs } = options;
  const core = await p2pCrypto();
  const canonical = core.parsePairingCode(code); // a malformed code never reaches the network
  const [signaling, iceServers] = await Promise.all([
    SignalingClient.connect(signalUrl),
    fetchIceServers(signalUrl),
  ]);
  try {
    const signals = await introduce(signaling, core.pairingHandshake(canonical, 'receiver'));
    const connection = await connectPeer(signals, false, iceServers);
    try {
      const acceptOffer = pairedOfferCheck(signals.sessionKey, signals.roomId, openChunk, onOffer);
      return await receiveTransfer(connection.frames, { acceptOffer, sink, onProgress, stallMs });
    } finally {
      await connection.end();
    }
  } finally {
    signaling.close();
  }
}
