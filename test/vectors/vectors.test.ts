import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  FormatError,
  assertId,
  associatedDataText,
  chunkCount,
  fromBase64Url,
  parseLinkFragment,
  toBase64Url,
  type AdPurpose,
} from '@coffre/core/format';
import {
  ChunkSealer,
  IntegrityError,
  WeakKdfError,
  chunkId,
  derivePasswordKeys,
  initCrypto,
  openAccount,
  openAccountWithRecovery,
  openContentKey,
  openLink,
  openManifest,
  openNode,
  openOwnerLinkKey,
  recoveryAuthKey,
  validateName,
} from '@coffre/core/crypto';
import { childWrapKey, contentWrapKey, nodeMetaKey } from '@coffre/core/crypto/internal/nodes';
import { chunkKey, manifestKey } from '@coffre/core/crypto/internal/content';
import { hashPassword } from '@coffre/core/crypto/internal/kdf';
import {
  linkWrapKey,
  ownerLinkWrapKey,
  passwordLinkWrapKey,
} from '@coffre/core/crypto/internal/link-keys';
import { deriveSubkey } from '@coffre/core/crypto/internal/primitives';
import { withRandomSource } from '@coffre/core/crypto/internal/random';
import { open, openText, seal } from '@coffre/core/crypto/internal/sealed';
import {
  makeAccount,
  makeFile,
  makeLink,
  makeNodes,
  plaintextOf,
  type FileSpec,
} from './constructions';
import type { Failure, VectorFile } from './vector-file';

const vectors = JSON.parse(
  readFileSync(new URL('./vectors.json', import.meta.url), 'utf8'),
) as VectorFile;
const bin = fromBase64Url;
const b64 = toBase64Url;
const utf8 = (text: string) => new TextEncoder().encode(text);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(b);

beforeAll(initCrypto);

type FileVector = VectorFile['files'][number];
const specOf = (f: FileVector): FileSpec => ({
  name: f.name,
  seed: bin(f.seed),
  plaintextSeed: bin(f.plaintextSeed),
  size: f.size,
  nodeId: f.nodeId,
  nodeKey: bin(f.nodeKey),
  revision: f.revision,
  signSeed: bin(f.signSeed),
});
// Files are re-sealed from their seeds once and shared by the file checks and the failures.
const made = new Map<string, ReturnType<typeof makeFile>>();
function madeFile(name: string) {
  let file = made.get(name);
  if (!file) {
    file = makeFile(specOf(vectors.files.find((f) => f.name === name)!));
    made.set(name, file);
  }
  return file;
}

describe('format vectors', () => {
  it('base64url', () => {
    for (const v of vectors.base64url) {
      expect(toBase64Url(Buffer.from(v.hex, 'hex'))).toBe(v.text);
      expect(Buffer.from(fromBase64Url(v.text)).toString('hex')).toBe(v.hex);
    }
  });

  it('associated data strings', () => {
    for (const v of vectors.associatedData) {
      expect(associatedDataText(v.purpose as AdPurpose, ...v.fields)).toBe(v.text);
    }
  });

  it('subkeys, and the named derivations the code uses', () => {
    for (const v of vectors.subkeys) {
      expect(b64(deriveSubkey(bin(v.key), v.context, v.id)), v.name).toBe(v.subkey);
    }
    const named: Record<string, (key: Uint8Array) => Uint8Array> = {
      metaKey: nodeMetaKey,
      childWrapKey,
      contentWrapKey,
      chunkKey,
      manifestKey,
      linkWrapKey,
      ownerLinkWrapKey,
    };
    for (const v of vectors.subkeys.filter((s) => s.name in named)) {
      expect(b64(named[v.name]!(bin(v.key))), v.name).toBe(v.subkey);
    }
  });

  it('sealed blobs of every purpose: layout, opening, and re-sealing with the same nonce', () => {
    expect(new Set(vectors.sealed.map((v) => v.purpose)).size).toBe(12);
    for (const v of vectors.sealed) {
      const blob = bin(v.sealed);
      expect(blob[0], v.purpose).toBe(1);
      expect(b64(blob.subarray(1, 25)), v.purpose).toBe(v.nonce);
      expect(b64(open(bin(v.key), utf8(v.ad), blob)), v.purpose).toBe(v.plaintext);
      const resealed = withRandomSource(
        () => bin(v.nonce),
        () => seal(bin(v.key), utf8(v.ad), bin(v.plaintext)),
      );
      expect(b64(resealed), v.purpose).toBe(v.sealed);
    }
  });

  it('Argon2id at the floor parameters, password taken in NFC', () => {
    const { password, params, encKey, authKey } = vectors.kdf;
    const keys = derivePasswordKeys(password, params);
    expect(b64(keys.encKey)).toBe(encKey);
    expect(b64(keys.authKey)).toBe(authKey);
  }, 30_000);

  it('account: opens with the password key and the recovery key, and re-creates byte for byte', () => {
    const v = vectors.account;
    const expected = { userId: v.userId, ...v.keys };
    const encode = (keys: ReturnType<typeof openAccount>) =>
      Object.fromEntries(
        Object.entries(keys).map(([k, value]) => [
          k,
          typeof value === 'string' ? value : b64(value),
        ]),
      );
    expect(encode(openAccount(v.userId, bin(v.encKey), v.bundle))).toEqual(expected);
    expect(encode(openAccountWithRecovery(v.userId, v.recoveryKey, v.bundle))).toEqual(expected);
    expect(b64(recoveryAuthKey(v.recoveryKey))).toBe(v.recoveryAuthKey);
    const again = makeAccount(bin(v.seed), v.userId, bin(v.encKey));
    expect(again.bundle).toEqual(v.bundle);
    expect(again.recoveryKey).toBe(v.recoveryKey);
  });

  it('nodes: open under their parent and re-create byte for byte', () => {
    const v = vectors.nodes;
    for (const node of v.created) {
      const opened = openNode(v.parentId, bin(v.parentKey), node);
      expect(b64(opened.key)).toBe(node.key);
      expect(opened.meta).toEqual(node.meta);
    }
    const again = makeNodes(
      bin(v.seed),
      v.parentId,
      bin(v.parentKey),
      v.created.map(({ type, meta }) => ({ type, meta })),
    );
    expect(again.map(({ id, wrappedKey, encMeta }) => ({ id, wrappedKey, encMeta }))).toEqual(
      v.created.map(({ id, wrappedKey, encMeta }) => ({ id, wrappedKey, encMeta })),
    );
  });

  it.each(vectors.files.map((f) => [f.name, f] as const))(
    'file "%s": content key, chunks and manifest re-seal byte for byte and open',
    (_, f) => {
      const file = madeFile(f.name);
      expect(b64(openContentKey(f.nodeId, bin(f.nodeKey), f.revision, f.wrappedContentKey))).toBe(
        f.contentKey,
      );
      expect(file.wrappedContentKey).toBe(f.wrappedContentKey);
      expect(file.manifest).toBe(f.manifest);
      expect(file.chunks).toHaveLength(chunkCount(f.size));
      file.chunks.forEach((chunk, i) => {
        const v = f.chunks[i]!;
        expect(chunk.length).toBe(v.length);
        expect(chunkId(chunk)).toBe(v.id);
        expect(b64(chunk.subarray(1, 25))).toBe(v.nonce);
        expect(b64(chunk.subarray(chunk.length - 16))).toBe(v.tag);
        if (v.sealed !== undefined) expect(b64(chunk)).toBe(v.sealed);
      });
      const manifest = openManifest(f.manifest, bin(f.contentKey), {
        nodeId: f.nodeId,
        revision: f.revision,
        signer: bin(f.signPublicKey),
      });
      expect(manifest.commitment).toBe(f.commitment);
      expect(manifest.chunks).toEqual(f.chunks.map((c) => c.id));
      const reader = new ChunkSealer(
        bin(f.contentKey),
        f.nodeId,
        f.revision,
        manifest.count,
        manifest.chunks,
      );
      const plain = Buffer.concat(file.chunks.map((chunk, i) => reader.open(i, chunk)));
      expect(same(plain, plaintextOf(bin(f.plaintextSeed), f.size))).toBe(true);
      const inPlace = file.chunks.map((chunk, i) => reader.openInPlace(i, chunk.slice()));
      expect(same(Buffer.concat(inPlace), plain)).toBe(true);
    },
    30_000,
  );

  it.each(vectors.links.created.map((l) => [l.name, l] as const))(
    'link "%s": K from the link key (and password), re-created byte for byte, opened, owner copy',
    (_, l) => {
      const { userId, masterKey, signPublicKey, origin } = vectors.links;
      const linkKey = bin(l.linkKey);
      if (l.kdf === null) {
        expect([l.password, l.passwordHash]).toEqual([null, null]);
        expect(b64(linkWrapKey(linkKey))).toBe(l.wrapKey);
      } else {
        const passwordHash = hashPassword(l.password!, l.kdf, 32);
        expect(b64(passwordHash)).toBe(l.passwordHash);
        expect(b64(passwordLinkWrapKey(linkKey, passwordHash))).toBe(l.wrapKey);
      }
      const ad = utf8(associatedDataText('link-key', l.linkId, l.nodeId, l.type));
      expect(b64(open(bin(l.wrapKey), ad, bin(l.wrappedKey)))).toBe(
        b64(Buffer.concat([bin(l.nodeKey), bin(signPublicKey)])),
      );

      const again = makeLink({
        seed: bin(l.seed),
        userId,
        masterKey: bin(masterKey),
        linkId: l.linkId,
        nodeId: l.nodeId,
        type: l.type,
        nodeKey: bin(l.nodeKey),
        signPublicKey: bin(signPublicKey),
        password: l.password,
      });
      expect(again).toEqual({
        linkKey: l.linkKey,
        wrappedKey: l.wrappedKey,
        kdf: l.kdf,
        ownerKey: l.ownerKey,
      });

      const opened = openLink({ ...l, linkKey: parseLinkFragment(new URL(l.url).hash) });
      expect(b64(opened.nodeKey)).toBe(l.nodeKey);
      expect(b64(opened.signPublicKey)).toBe(signPublicKey);
      expect(new URL(l.url).origin).toBe(origin);
      expect(new URL(l.url).pathname).toBe(`/s/${l.linkId}`);
      const owner = { userId, masterKey: bin(masterKey), linkId: l.linkId, ownerKey: l.ownerKey };
      expect(openOwnerLinkKey(owner)).toBe(l.linkKey);
    },
    30_000,
  );
});

function chunkBytes(source: Extract<Failure, { op: 'openChunk' }>['chunk']): Uint8Array {
  if ('bytes' in source) return bin(source.bytes);
  if ('zeros' in source) return new Uint8Array(source.zeros);
  const chunk = madeFile(source.file).chunks[source.index]!;
  return chunk.subarray(0, chunk.length - (source.truncate ?? 0));
}

function run(f: Failure): unknown {
  switch (f.op) {
    case 'fromBase64Url':
      return fromBase64Url(f.text);
    case 'assertId':
      return assertId(f.id, 'id');
    case 'chunkCount':
      return chunkCount(f.size);
    case 'validateName':
      return validateName(f.text);
    case 'recoveryAuthKey':
      return recoveryAuthKey(f.text);
    case 'derivePasswordKeys':
      return derivePasswordKeys(f.password, f.params);
    case 'openSealed':
      return openText(bin(f.key), utf8(f.ad), f.sealed, f.maxBytes);
    case 'openAccount':
      return openAccount(f.userId, bin(f.encKey), f.bundle);
    case 'openAccountWithRecovery':
      return openAccountWithRecovery(f.userId, f.recoveryKey, f.bundle);
    case 'openNode':
      return openNode(f.parentId, bin(f.parentKey), f.node);
    case 'openContentKey':
      return openContentKey(f.nodeId, bin(f.nodeKey), f.revision, f.wrapped);
    case 'openChunk':
      return new ChunkSealer(bin(f.contentKey), f.nodeId, f.revision, f.count, f.expectedIds).open(
        f.index,
        chunkBytes(f.chunk),
      );
    case 'parseLinkFragment':
      return parseLinkFragment(f.text);
    case 'openLink':
      return openLink(f);
    case 'openOwnerLinkKey':
      return openOwnerLinkKey({ ...f, masterKey: bin(f.masterKey) });
    case 'openManifest':
      return openManifest(f.sealed, bin(f.contentKey), {
        nodeId: f.nodeId,
        revision: f.revision,
        ...(f.signer === undefined ? {} : { signer: bin(f.signer) }),
      });
  }
}

const errorClasses = { IntegrityError, FormatError, WeakKdfError };

describe('named failures', () => {
  it.each(vectors.failures.map((f) => [f.name, f] as const))('%s', (_, f) => {
    expect(() => run(f)).toThrow(errorClasses[f.error]);
    if (f.error === 'IntegrityError') expect(() => run(f)).toThrow('integrity check failed');
  });
});
