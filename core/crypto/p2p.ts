// Everything the client needs for direct transfers (format.md §13), in one module it can load
// lazily once libsodium is ready.
export { newPairingCode, parsePairingCode, pairingRoomId, linkRoom } from './pairing';
export { type Handshake, type PeerRole, pairingHandshake, linkHandshake } from './pake';
export {
  type Envelope,
  type PeerOffer,
  type SignalMessage,
  SignalSession,
  decodeEnvelope,
  encodeShare,
  openOffer,
  sealOffer,
} from './peer-signals';
