// Building and checking the sealed offer (format.md §13.6). The receiver verifies the manifest
// before any chunk is asked for, and each chunk afterwards exactly as a download from the server
// is verified: the exact length, then the worker's `openChunk` (SHA-256 id against the manifest,
// then the AEAD with the chunk's AD).
import { cipherChunkSize, fromBase64Url } from '@coffre/core/format';
import type { PeerOffer } from '@coffre/core/crypto/p2p';
import type { CryptoOps } from '../../platform/crypto-protocol';
import { coreCrypto } from '../../platform/crypto-main';
import { p2pCrypto } from '../wire/p2p-crypto';
import type { VerifiedOffer } from '../wire/chunk-receiver';

/** The worker pool's `openChunk`, or anything with the same contract. */
export type ChunkOpener = (
  args: CryptoOps['openChunk']['args'],
) => Promise<CryptoOps['openChunk']['result']>;

export async function sealFileOffer(
  sessionKey: Uint8Array,
  roomId: string,
  offer: Omit<PeerOffer, 'v'>,
): Promise<Uint8Array> {
  const core = await p2pCrypto();
  return core.sealOffer(sessionKey, roomId, { v: 1, ...offer });
}

/**
 * The receiver's check of a paired device's offer: it opens under the session, the manifest opens
 * under the offered content key with the offered node and revision, and the sizes agree.
 */
export function pairedOfferCheck(
  sessionKey: Uint8Array,
  roomId: string,
  openChunk: ChunkOpener,
  onOffer: (offer: PeerOffer) => void = () => undefined,
): (sealed: Uint8Array) => Promise<VerifiedOffer> {
  return async (sealed) => {
    const [p2p, core] = await Promise.all([p2pCrypto(), coreCrypto()]);
    const offer = p2p.openOffer(sessionKey, roomId, sealed);
    if (offer.contentKey === null) throw new core.IntegrityError();
    const contentKey = fromBase64Url(offer.contentKey);
    const { nodeId, revision } = offer;
    const manifest = core.openManifest(offer.manifest, contentKey, { nodeId, revision });
    if (manifest.size !== offer.size || manifest.chunks.length !== manifest.count) {
      throw new core.IntegrityError();
    }
    onOffer(offer);
    return {
      count: manifest.count,
      chunkLength: (index) => cipherChunkSize(manifest.size, index),
      openChunk: async (index, chunk) => {
        const opened = await openChunk({
          contentKey,
          nodeId,
          revision,
          count: manifest.count,
          index,
          chunk: chunk.buffer, // moved to the worker and back, never copied
          expectedId: manifest.chunks[index]!,
          inPlace: true, // the receiver keeps only the plaintext
        });
        return { plaintext: opened.plaintext, chunk: new Uint8Array(opened.chunk) };
      },
    };
  };
}
