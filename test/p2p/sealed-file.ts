// A sealed test file whose chunks can be made again on demand, byte for byte: the plaintext is a
// cheap pattern and each chunk's nonce comes from a seed fixed by its index. So a 1 GiB file needs
// no 1 GiB of memory, and a sender can serve any chunk at any time. Runs in Node and in pages.
import { CHUNK_SIZE, chunkCount, toBase64Url } from '@coffre/core/format';
import { ChunkSealer, chunkId, sealManifest } from '@coffre/core/crypto';
import { withDeterministicRandom } from '@coffre/core/crypto/internal/deterministic';
import { sodium } from '@coffre/core/crypto/internal/sodium';

export interface SealedTestFile {
  nodeId: string;
  revision: number;
  size: number;
  count: number;
  contentKey: Uint8Array;
  manifest: string;
  plainChunk(index: number): Uint8Array<ArrayBuffer>;
  chunk(index: number): Uint8Array;
}

/** `label` makes files distinct: two labels give unrelated keys, ids and bytes. */
export function sealedTestFile(label: string, size: number): SealedTestFile {
  const s = sodium();
  const seed = (what: string) =>
    s.crypto_generichash(32, `coffre p2p test: ${label}: ${what}`, null);
  const nodeId = toBase64Url(seed('node').slice(0, 16));
  const revision = 1;
  const contentKey = seed('content key');
  const count = chunkCount(size);
  const sealer = new ChunkSealer(contentKey, nodeId, revision, count);
  const fill = label.length;
  const plainChunk = (index: number) => {
    const length = Math.min(CHUNK_SIZE, size - index * CHUNK_SIZE);
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i += 4096) bytes[i] = (index * 7 + i / 4096 + fill) & 0xff;
    return bytes;
  };
  const chunk = (index: number) =>
    withDeterministicRandom(seed(`chunk ${index}`), () => sealer.seal(index, plainChunk(index)));
  const ids = Array.from({ length: count }, (_, i) => chunkId(chunk(i)));
  const signer = s.crypto_sign_seed_keypair(seed('signer'));
  const manifest = sealManifest({ nodeId, revision, size, chunks: ids }, contentKey, {
    publicKey: signer.publicKey,
    secretKey: signer.privateKey,
  });
  return { nodeId, revision, size, count, contentKey, manifest, plainChunk, chunk };
}
