// Deterministic constructions shared by the vector generator and the vector test: the generator
// records their outputs, the test runs them again and compares the bytes.
import { CHUNK_SIZE, chunkCount } from '@coffre/core/format';
import {
  ChunkSealer,
  chunkId,
  createAccount,
  createContentKey,
  createLink,
  createNode,
  sealManifest,
  type NodeMeta,
  type NodeType,
} from '@coffre/core/crypto';
import { withDeterministicRandom } from '@coffre/core/crypto/internal/deterministic';
import { sodium } from '@coffre/core/crypto/internal/sodium';

export interface FileSpec {
  name: string;
  seed: Uint8Array;
  plaintextSeed: Uint8Array;
  size: number;
  nodeId: string;
  nodeKey: Uint8Array;
  revision: number;
  signSeed: Uint8Array;
}

/** File contents come from a seed so that megabytes of plaintext need not be stored. */
export function plaintextOf(plaintextSeed: Uint8Array, size: number): Uint8Array {
  return sodium().randombytes_buf_deterministic(size, plaintextSeed);
}

export function signerOf(signSeed: Uint8Array) {
  const pair = sodium().crypto_sign_seed_keypair(signSeed);
  return { publicKey: pair.publicKey, secretKey: pair.privateKey };
}

export interface LinkSpec {
  seed: Uint8Array;
  userId: string;
  masterKey: Uint8Array;
  linkId: string;
  nodeId: string;
  type: NodeType;
  nodeKey: Uint8Array;
  signPublicKey: Uint8Array;
  password: string | null;
}

export function makeLink({ seed, ...input }: LinkSpec) {
  return withDeterministicRandom(seed, () => createLink(input));
}

export function makeAccount(seed: Uint8Array, userId: string, encKey: Uint8Array) {
  return withDeterministicRandom(seed, () => createAccount(userId, encKey));
}

export function makeNodes(
  seed: Uint8Array,
  parentId: string,
  parentKey: Uint8Array,
  nodes: { type: NodeType; meta: NodeMeta }[],
) {
  return withDeterministicRandom(seed, () =>
    nodes.map(({ type, meta }) => createNode(parentId, parentKey, type, meta)),
  );
}

export function makeFile(spec: FileSpec) {
  const plain = plaintextOf(spec.plaintextSeed, spec.size);
  return withDeterministicRandom(spec.seed, () => {
    const { contentKey, wrappedContentKey } = createContentKey(
      spec.nodeId,
      spec.nodeKey,
      spec.revision,
    );
    const count = chunkCount(spec.size);
    const sealer = new ChunkSealer(contentKey, spec.nodeId, spec.revision, count);
    const chunks = Array.from({ length: count }, (_, i) =>
      sealer.seal(i, plain.subarray(i * CHUNK_SIZE, Math.min(spec.size, (i + 1) * CHUNK_SIZE))),
    );
    const manifest = sealManifest(
      {
        nodeId: spec.nodeId,
        revision: spec.revision,
        size: spec.size,
        chunks: chunks.map(chunkId),
      },
      contentKey,
      signerOf(spec.signSeed),
    );
    return { plain, contentKey, wrappedContentKey, chunks, manifest };
  });
}
