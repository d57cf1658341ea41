import { beforeAll, describe, expect, it } from 'vitest';
import {
  CHUNK_OVERHEAD,
  CHUNK_SIZE,
  FormatError,
  associatedData,
  chunkCount,
  fromBase64Url,
  toBase64Url,
} from '@coffre/core/format';
import {
  ChunkSealer,
  IntegrityError,
  chunkId,
  createContentKey,
  initCrypto,
  openContentKey,
  openManifest,
  randomId,
  sealManifest,
} from '@coffre/core/crypto';
import { manifestKey } from '@coffre/core/crypto/internal/content';
import { sealToText } from '@coffre/core/crypto/internal/sealed';
import { sodium, sodiumMemory } from '@coffre/core/crypto/internal/sodium';

beforeAll(initCrypto);

const nodeKey = new Uint8Array(32).fill(3);

function signer() {
  const pair = sodium().crypto_sign_keypair();
  return { publicKey: pair.publicKey, secretKey: pair.privateKey };
}

function plaintextOf(size: number): Uint8Array {
  return sodium().randombytes_buf_deterministic(size, new Uint8Array(32).fill(size & 255));
}

/** Seals a whole file the way an uploader does; returns the chunks and the sealed manifest. */
function upload(size: number, revision = 1) {
  const nodeId = randomId();
  const { contentKey, wrappedContentKey } = createContentKey(nodeId, nodeKey, revision);
  const count = chunkCount(size);
  const sealer = new ChunkSealer(contentKey, nodeId, revision, count);
  const plain = plaintextOf(size);
  const chunks = Array.from({ length: count }, (_, i) =>
    sealer.seal(i, plain.subarray(i * CHUNK_SIZE, Math.min(size, (i + 1) * CHUNK_SIZE))),
  );
  const who = signer();
  const manifest = sealManifest(
    { nodeId, revision, size, chunks: chunks.map(chunkId) },
    contentKey,
    who,
  );
  return { nodeId, revision, contentKey, wrappedContentKey, count, plain, chunks, manifest, who };
}

describe('content key', () => {
  it('opens only for its node and revision', () => {
    const nodeId = randomId();
    const { contentKey, wrappedContentKey } = createContentKey(nodeId, nodeKey, 4);
    expect(openContentKey(nodeId, nodeKey, 4, wrappedContentKey)).toEqual(contentKey);
    expect(() => openContentKey(nodeId, nodeKey, 3, wrappedContentKey)).toThrow(IntegrityError);
    expect(() => openContentKey(randomId(), nodeKey, 4, wrappedContentKey)).toThrow(IntegrityError);
    expect(() => openContentKey(nodeId, new Uint8Array(32), 4, wrappedContentKey)).toThrow(
      IntegrityError,
    );
  });
});

describe('chunks', () => {
  it('round-trips an empty file, a small file and a file with a short last chunk', () => {
    for (const size of [0, 5, CHUNK_SIZE + 10]) {
      const up = upload(size);
      const reader = new ChunkSealer(up.contentKey, up.nodeId, up.revision, up.count);
      const opened = up.chunks.map((chunk, i) => reader.open(i, chunk));
      // Buffer.equals: a deep toEqual over megabytes is very slow.
      expect(Buffer.concat(opened).equals(up.plain)).toBe(true);
      expect(up.chunks.map((c) => c.length)).toEqual(opened.map((p) => p.length + CHUNK_OVERHEAD));
    }
  });

  it('refuses swapped, dropped, truncated and altered chunks', () => {
    const up = upload(CHUNK_SIZE + 10);
    const [first, last] = up.chunks as [Uint8Array, Uint8Array];
    const reader = new ChunkSealer(up.contentKey, up.nodeId, up.revision, up.count);
    expect(() => reader.open(0, last)).toThrow(IntegrityError);
    // Dropping the last chunk: the reader would need count 1, and chunk 0 was sealed as non-final.
    const shortened = new ChunkSealer(up.contentKey, up.nodeId, up.revision, 1);
    expect(() => shortened.open(0, first)).toThrow(IntegrityError);
    expect(() => reader.open(1, last.subarray(0, last.length - 1))).toThrow(IntegrityError);
    expect(() => reader.open(0, first.subarray(0, 40))).toThrow(IntegrityError);
    for (const at of [0, 1, 30, last.length - 1]) {
      const altered = last.slice();
      altered[at]! ^= 1;
      expect(() => reader.open(1, altered)).toThrow(IntegrityError);
    }
    const otherRevision = new ChunkSealer(up.contentKey, up.nodeId, up.revision + 1, up.count);
    expect(() => otherRevision.open(1, last)).toThrow(IntegrityError);
  });

  it('checks chunk ids before decrypting when given the manifest list', () => {
    const up = upload(10);
    const reader = new ChunkSealer(up.contentKey, up.nodeId, up.revision, 1, [
      chunkId(up.chunks[0]!),
    ]);
    expect(reader.open(0, up.chunks[0]!)).toEqual(up.plain);
    const wrongIds = new ChunkSealer(up.contentKey, up.nodeId, up.revision, 1, [
      chunkId(new Uint8Array(1)),
    ]);
    expect(() => wrongIds.open(0, up.chunks[0]!)).toThrow(IntegrityError);
  });

  it('opens in place over the chunk, and writes nothing into a chunk that fails', () => {
    const up = upload(CHUNK_SIZE + 10);
    const reader = new ChunkSealer(up.contentKey, up.nodeId, up.revision, up.count);
    const altered = up.chunks[1]!.slice();
    altered[altered.length - 1]! ^= 1;
    const before = altered.slice();
    expect(() => reader.openInPlace(1, altered)).toThrow(IntegrityError);
    expect(Buffer.from(altered).equals(before)).toBe(true);
    for (const [i, sealed] of up.chunks.entries()) {
      const chunk = sealed.slice();
      const plaintext = reader.openInPlace(i, chunk);
      expect(plaintext.buffer).toBe(chunk.buffer);
      expect(plaintext.byteOffset).toBe(25); // version and nonce stay before it (format.md §3)
      expect(
        Buffer.from(plaintext).equals(up.plain.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE)),
      ).toBe(true);
    }
  });

  it('leaves no plaintext in libsodium memory after an open', () => {
    const up = upload(CHUNK_SIZE);
    const reader = new ChunkSealer(up.contentKey, up.nodeId, up.revision, up.count);
    reader.open(0, up.chunks[0]!);
    const memory = sodiumMemory().HEAPU8;
    const heap = Buffer.from(memory.buffer, memory.byteOffset, memory.length);
    expect(heap.indexOf(up.plain.subarray(1000, 1064))).toBe(-1); // 64 random plaintext bytes
  });

  it('refuses to seal chunks whose length breaks the chunk rule', () => {
    const sealer = new ChunkSealer(new Uint8Array(32), randomId(), 1, 2);
    expect(() => sealer.seal(0, new Uint8Array(10))).toThrow(FormatError);
    expect(() => sealer.seal(1, new Uint8Array(0))).toThrow(FormatError);
    expect(() => sealer.seal(2, new Uint8Array(1))).toThrow(FormatError);
  });
});

/** Builds a correctly sealed and signed manifest with a body of our choosing. */
function forge(up: ReturnType<typeof upload>, body: Record<string, unknown>, who = up.who): string {
  const text = JSON.stringify(body);
  const prefix = new TextEncoder().encode('coffre|1|manifest-signature|' + text);
  const sig = toBase64Url(sodium().crypto_sign_detached(prefix, who.secretKey));
  const envelope = new TextEncoder().encode(JSON.stringify({ body: text, sig }));
  return sealToText(
    manifestKey(up.contentKey),
    associatedData('manifest', up.nodeId, up.revision),
    envelope,
  );
}

describe('manifest', () => {
  it('opens and returns the chunk list for the expected node, revision and signer', () => {
    const up = upload(CHUNK_SIZE + 10);
    const manifest = openManifest(up.manifest, up.contentKey, {
      nodeId: up.nodeId,
      revision: up.revision,
      signer: up.who.publicKey,
    });
    expect(manifest).toMatchObject({
      v: 1,
      size: CHUNK_SIZE + 10,
      count: 2,
      chunkSize: CHUNK_SIZE,
    });
    expect(manifest.chunks).toEqual(up.chunks.map(chunkId));
  });

  it('refuses another node, revision, signer or content key', () => {
    const up = upload(3);
    const expect_ = { nodeId: up.nodeId, revision: up.revision };
    const open =
      (e: Parameters<typeof openManifest>[2], key = up.contentKey) =>
      () =>
        openManifest(up.manifest, key, e);
    expect(open({ ...expect_, nodeId: randomId() })).toThrow(IntegrityError);
    expect(open({ ...expect_, revision: 2 })).toThrow(IntegrityError);
    expect(open({ ...expect_, signer: signer().publicKey })).toThrow(IntegrityError);
    expect(open(expect_, new Uint8Array(32))).toThrow(IntegrityError);
    expect(() => openManifest(up.manifest + 'A', up.contentKey, expect_)).toThrow(IntegrityError);
  });

  it('refuses a validly sealed body that breaks a rule', () => {
    const up = upload(CHUNK_SIZE + 10);
    const good = JSON.parse(
      JSON.parse(
        new TextDecoder().decode(
          sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(
            null,
            fromBase64Url(up.manifest).subarray(25),
            associatedData('manifest', up.nodeId, up.revision),
            fromBase64Url(up.manifest).subarray(1, 25),
            manifestKey(up.contentKey),
          ),
        ),
      ).body,
    ) as Record<string, unknown>;
    const expect_ = { nodeId: up.nodeId, revision: up.revision, signer: up.who.publicKey };
    // The forging path itself is sound: the unmodified body opens.
    expect(openManifest(forge(up, good), up.contentKey, expect_).count).toBe(2);
    const broken: [string, Record<string, unknown>][] = [
      ['count too small', { ...good, count: 1 }],
      ['dropped last chunk id', { ...good, count: 1, chunks: [(good.chunks as string[])[0]] }],
      ['size over the limit', { ...good, size: 2 ** 51, count: 2 ** 29 }],
      ['other chunk size', { ...good, chunkSize: 1024 }],
      ['wrong version', { ...good, v: 2 }],
      ['other node id inside', { ...good, nodeId: randomId() }],
      ['bad commitment', { ...good, commitment: toBase64Url(new Uint8Array(32)) }],
      ['extra field', { ...good, extra: 1 }],
      ['malformed chunk id', { ...good, chunks: ['x', (good.chunks as string[])[1]] }],
    ];
    for (const [what, body] of broken) {
      expect(() => openManifest(forge(up, body), up.contentKey, expect_), what).toThrow(
        IntegrityError,
      );
    }
    // Signed by someone else who claims to be the uploader.
    const mallory = signer();
    expect(() => openManifest(forge(up, good, mallory), up.contentKey, expect_)).toThrow(
      IntegrityError,
    );
    expect(() =>
      openManifest(
        forge(up, { ...good, signer: toBase64Url(mallory.publicKey) }, mallory),
        up.contentKey,
        expect_,
      ),
    ).toThrow(IntegrityError);
  });
});
