// Writes test/vectors/vectors.json. Run by hand after a deliberate format change:
//   npx tsx test/vectors/generate.ts
// Every random byte comes from fixed seeds, so running it twice gives the same file.
import { writeFileSync } from 'node:fs';
import {
  CHUNK_SIZE,
  MAX_CHUNK_CIPHER_SIZE,
  MAX_FILE_SIZE,
  MAX_SEALED_META,
  associatedData,
  associatedDataText,
  fromBase64Url,
  linkUrl,
  toBase64Url,
  type AdField,
  type AdPurpose,
} from '@coffre/core/format';
import {
  chunkId,
  derivePasswordKeys,
  initCrypto,
  openManifest,
  type AccountBundle,
  type KdfParams,
  type NodeMeta,
} from '@coffre/core/crypto';
import { chunkKey, manifestKey } from '@coffre/core/crypto/internal/content';
import { withDeterministicRandom } from '@coffre/core/crypto/internal/deterministic';
import { hashPassword } from '@coffre/core/crypto/internal/kdf';
import {
  linkWrapKey,
  ownerLinkWrapKey,
  passwordLinkWrapKey,
} from '@coffre/core/crypto/internal/link-keys';
import { childWrapKey, contentWrapKey, nodeMetaKey } from '@coffre/core/crypto/internal/nodes';
import { KDF_CONTEXT, deriveSubkey, keyedHash } from '@coffre/core/crypto/internal/primitives';
import { parseRecoveryKey } from '@coffre/core/crypto/internal/recovery-key';
import { open, seal, sealToText } from '@coffre/core/crypto/internal/sealed';
import { sodium } from '@coffre/core/crypto/internal/sodium';
import {
  makeAccount,
  makeFile,
  makeLink,
  makeNodes,
  signerOf,
  type FileSpec,
  type LinkSpec,
} from './constructions';
import type { Failure, SealedNodeVector, VectorFile } from './vector-file';

await initCrypto();
const s = sodium();
const b64 = toBase64Url;
const utf8 = (text: string) => new TextEncoder().encode(text);

/** Fixed pseudo-random bytes named by a label, so inputs are arbitrary but reproducible. */
const fixed = (label: string, length = 32) =>
  s.crypto_generichash(length, utf8(`coffre vectors: ${label}`), null);
const fixedId = (label: string) => b64(fixed(label, 16));

function flip(bytes: Uint8Array, at: number, mask = 1): Uint8Array {
  const copy = bytes.slice();
  const index = at < 0 ? copy.length + at : at;
  copy[index]! ^= mask;
  return copy;
}
const flipText = (text: string, at: number) => b64(flip(fromBase64Url(text), at));

// Forged blobs made below also draw their nonces from a fixed stream, so the file is reproducible.
function buildVectors(): VectorFile {
  // --- base64url and associated data -------------------------------------------------------------
  const base64url = [
    new Uint8Array(0),
    Uint8Array.of(0xff),
    Uint8Array.of(0xfb, 0xff),
    Uint8Array.of(0xfb, 0xef, 0xbe),
    fixed('b64', 16),
  ].map((bytes) => ({ hex: s.to_hex(bytes), text: b64(bytes) }));

  const userId = fixedId('user');
  const rootId = fixedId('root');
  const ad = (purpose: AdPurpose, ...fields: AdField[]) => ({
    purpose,
    fields,
    text: associatedDataText(purpose, ...fields),
  });
  const associatedDataVectors = [
    ad('master-key', userId),
    ad('root-key', userId, rootId),
    ad('node-key', fixedId('node'), rootId, 'file', 1),
    ad('node-meta', fixedId('node'), rootId, 'folder'),
    ad('content-key', fixedId('node'), 7),
    ad('chunk', fixedId('node'), 7, 2, 3, 1),
    ad('manifest', fixedId('node'), 7),
    ad('commit', fixedId('node'), 7),
    ad('manifest-signature'),
    ad('link-key', fixedId('link'), fixedId('node'), 'folder'),
    ad('link-owner-key', userId, fixedId('link')),
    ad('link-password'),
  ];

  // --- password hashing (the one slow vector: floor parameters) -----------------------------------
  const kdfParams: KdfParams = {
    alg: 'argon2id13',
    salt: b64(fixed('salt', 16)),
    opslimit: 3,
    memlimit: 64 * 1024 * 1024,
  };
  // Written with a decomposed "é" (e + U+0301): the client hashes the NFC form.
  const password = 'correct horse battery sta\u0301ple é';
  const passwordKeys = derivePasswordKeys(password, kdfParams);

  // --- account -----------------------------------------------------------------------------------
  const accountSeed = fixed('account seed');
  const account = makeAccount(accountSeed, userId, passwordKeys.encKey);
  const { keys } = account;
  const identityKey = deriveSubkey(keys.masterKey, KDF_CONTEXT.identity, 1);
  const treeKey = deriveSubkey(keys.masterKey, KDF_CONTEXT.tree, 1);

  // --- nodes under the root ----------------------------------------------------------------------
  const nodeSeed = fixed('node seed');
  const nodeInputs: { type: 'folder' | 'file'; meta: NodeMeta }[] = [
    { type: 'folder', meta: { name: 'Documents', mtime: null, mime: null, size: null } },
    {
      type: 'file',
      meta: { name: 'facture été.pdf', mtime: 1_767_225_600_000, mime: 'application/pdf', size: 5 },
    },
    {
      type: 'file',
      meta: { name: 'notes.txt', mtime: 1_767_225_600_000, mime: 'text/plain', size: 0 },
    },
  ];
  const created = makeNodes(nodeSeed, keys.rootId, keys.rootKey, nodeInputs);
  const [folder, fileA, fileB] = created as [
    (typeof created)[0],
    (typeof created)[0],
    (typeof created)[0],
  ];
  // --- share links: the folder without password, the first file with one --------------------------
  const origin = 'https://coffre.example';
  const linkSpec = (name: string, node: (typeof created)[0], type: 'folder' | 'file') =>
    ({
      seed: fixed(`${name} link seed`),
      userId,
      masterKey: keys.masterKey,
      linkId: fixedId(`${name} link`),
      nodeId: node.id,
      type,
      nodeKey: node.key,
      signPublicKey: keys.signPublicKey,
      password: null,
    }) satisfies LinkSpec;
  const linkSpecs: { name: string; spec: LinkSpec }[] = [
    { name: 'folder without password', spec: linkSpec('folder', folder, 'folder') },
    {
      name: 'file with password',
      // Written with a decomposed "é", like the login vector: hashed in NFC.
      spec: { ...linkSpec('file', fileA, 'file'), password: 'lien partage\u0301 é' },
    },
  ];
  const links = linkSpecs.map(({ name, spec }) => {
    const made = makeLink(spec);
    const linkKey = fromBase64Url(made.linkKey);
    const passwordHash =
      spec.password === null || made.kdf === null
        ? null
        : hashPassword(spec.password, made.kdf, 32);
    const wrapKey =
      passwordHash === null ? linkWrapKey(linkKey) : passwordLinkWrapKey(linkKey, passwordHash);
    return {
      spec,
      made,
      wrapKey,
      vector: {
        name,
        seed: b64(spec.seed),
        linkId: spec.linkId,
        nodeId: spec.nodeId,
        type: spec.type,
        nodeKey: b64(spec.nodeKey),
        password: spec.password,
        linkKey: made.linkKey,
        kdf: made.kdf,
        passwordHash: passwordHash && b64(passwordHash),
        wrapKey: b64(wrapKey),
        wrappedKey: made.wrappedKey,
        ownerKey: made.ownerKey,
        url: linkUrl(origin, spec.linkId, made.linkKey),
      },
    };
  });
  const [plainLink, passwordLink] = links as [(typeof links)[0], (typeof links)[0]];

  const sealedNode = (n: (typeof created)[0], type: 'folder' | 'file'): SealedNodeVector => ({
    id: n.id,
    type,
    wrappedKey: n.wrappedKey,
    encMeta: n.encMeta,
  });

  // --- files -------------------------------------------------------------------------------------
  const fileSpec = (name: string, size: number, nodeId: string, nodeKey: Uint8Array): FileSpec => ({
    name,
    seed: fixed(`${name} seed`),
    plaintextSeed: fixed(`${name} plaintext`),
    size,
    nodeId,
    nodeKey,
    revision: 1,
    signSeed: fixed('signer'),
  });
  const specs = [
    fileSpec('empty', 0, fileB.id, fileB.key),
    fileSpec('small', 5, fileA.id, fileA.key),
    fileSpec('one-full-chunk', CHUNK_SIZE, fixedId('one-full-chunk'), fixed('one-full-chunk key')),
    fileSpec(
      'three-chunks',
      2 * CHUNK_SIZE + 1000,
      fixedId('three-chunks'),
      fixed('three-chunks key'),
    ),
  ];
  const files = specs.map((spec) => {
    const made = makeFile(spec);
    const manifest = openManifest(made.manifest, made.contentKey, {
      nodeId: spec.nodeId,
      revision: 1,
    });
    const manifestEnvelope = JSON.parse(
      new TextDecoder().decode(
        open(
          manifestKey(made.contentKey),
          associatedData('manifest', spec.nodeId, 1),
          fromBase64Url(made.manifest),
        ),
      ),
    ) as { body: string };
    return {
      spec,
      made,
      vector: {
        name: spec.name,
        seed: b64(spec.seed),
        plaintextSeed: b64(spec.plaintextSeed),
        size: spec.size,
        nodeId: spec.nodeId,
        nodeKey: b64(spec.nodeKey),
        revision: spec.revision,
        signSeed: b64(spec.signSeed),
        signPublicKey: b64(signerOf(spec.signSeed).publicKey),
        contentKey: b64(made.contentKey),
        wrappedContentKey: made.wrappedContentKey,
        commitment: manifest.commitment,
        chunks: made.chunks.map((chunk, index) => ({
          index,
          length: chunk.length,
          id: chunkId(chunk),
          nonce: b64(chunk.subarray(1, 25)),
          tag: b64(chunk.subarray(chunk.length - 16)),
          ...(chunk.length <= 1024 ? { sealed: b64(chunk) } : {}),
        })),
        manifest: made.manifest,
        manifestBody: manifestEnvelope.body,
      },
    };
  });
  const byName = (name: string) => files.find((f) => f.spec.name === name)!;
  const small = byName('small');
  const three = byName('three-chunks');

  // --- subkeys and the low-level layout of every sealed purpose -----------------------------------
  const recoveryBytes = parseRecoveryKey(account.recoveryKey);
  const subkey = (name: string, key: Uint8Array, context: string, id: number) => ({
    name,
    key: b64(key),
    context,
    id,
    subkey: b64(deriveSubkey(key, context, id)),
  });
  const subkeys = [
    subkey('identityKey', keys.masterKey, KDF_CONTEXT.identity, 1),
    subkey('treeKey', keys.masterKey, KDF_CONTEXT.tree, 1),
    subkey('recoveryEncKey', recoveryBytes, KDF_CONTEXT.recovery, 1),
    subkey('recoveryAuthKey', recoveryBytes, KDF_CONTEXT.recovery, 2),
    subkey('metaKey', fileA.key, KDF_CONTEXT.node, 1),
    subkey('childWrapKey', folder.key, KDF_CONTEXT.node, 2),
    subkey('contentWrapKey', fileA.key, KDF_CONTEXT.node, 3),
    subkey('chunkKey', small.made.contentKey, KDF_CONTEXT.content, 1),
    subkey('manifestKey', small.made.contentKey, KDF_CONTEXT.content, 2),
    subkey('linkWrapKey', fromBase64Url(plainLink.made.linkKey), KDF_CONTEXT.link, 1),
    subkey('ownerLinkWrapKey', keys.masterKey, KDF_CONTEXT.linkOwner, 1),
  ];

  /** Opens a blob produced by the real code with the low-level layout, recording every part. */
  function sealedVector(purpose: AdPurpose, key: Uint8Array, adText: string, text: string) {
    const blob = fromBase64Url(text);
    const plaintext = open(key, utf8(adText), blob);
    return {
      purpose,
      key: b64(key),
      ad: adText,
      nonce: b64(blob.subarray(1, 25)),
      plaintext: b64(plaintext),
      sealed: text,
    };
  }
  const bundle = account.bundle;
  const sealedVectors = [
    sealedVector(
      'master-key',
      passwordKeys.encKey,
      associatedDataText('master-key', userId),
      bundle.wrappedMasterKey,
    ),
    sealedVector(
      'master-key-recovery',
      deriveSubkey(recoveryBytes, KDF_CONTEXT.recovery, 1),
      associatedDataText('master-key-recovery', userId),
      bundle.wrappedMasterKeyRecovery,
    ),
    sealedVector(
      'sign-secret-key',
      identityKey,
      associatedDataText('sign-secret-key', userId),
      bundle.wrappedSignSecretKey,
    ),
    sealedVector(
      'box-secret-key',
      identityKey,
      associatedDataText('box-secret-key', userId),
      bundle.wrappedBoxSecretKey,
    ),
    sealedVector(
      'root-key',
      treeKey,
      associatedDataText('root-key', userId, keys.rootId),
      bundle.wrappedRootKey,
    ),
    sealedVector(
      'node-key',
      childWrapKey(keys.rootKey),
      associatedDataText('node-key', fileA.id, keys.rootId, 'file', 1),
      fileA.wrappedKey,
    ),
    sealedVector(
      'node-meta',
      nodeMetaKey(fileA.key),
      associatedDataText('node-meta', fileA.id, keys.rootId, 'file'),
      fileA.encMeta,
    ),
    sealedVector(
      'content-key',
      contentWrapKey(fileA.key),
      associatedDataText('content-key', fileA.id, 1),
      small.made.wrappedContentKey,
    ),
    sealedVector(
      'chunk',
      chunkKey(small.made.contentKey),
      associatedDataText('chunk', fileA.id, 1, 0, 1, 1),
      b64(small.made.chunks[0]!),
    ),
    sealedVector(
      'manifest',
      manifestKey(small.made.contentKey),
      associatedDataText('manifest', fileA.id, 1),
      small.made.manifest,
    ),
    sealedVector(
      'link-key',
      plainLink.wrapKey,
      associatedDataText('link-key', plainLink.spec.linkId, folder.id, 'folder'),
      plainLink.made.wrappedKey,
    ),
    sealedVector(
      'link-owner-key',
      ownerLinkWrapKey(keys.masterKey),
      associatedDataText('link-owner-key', userId, plainLink.spec.linkId),
      plainLink.made.ownerKey,
    ),
  ];

  // --- named failures ----------------------------------------------------------------------------
  const failures: Failure[] = [];
  const fail = (failure: Failure) => failures.push(failure);

  for (const text of ['AA==', 'ab+c', 'ab/c', 'ab c', 'abcde', 'AB', 'AAB']) {
    fail({
      name: `base64url: malformed "${text}"`,
      op: 'fromBase64Url',
      text,
      error: 'FormatError',
    });
  }
  for (const id of [
    '',
    'a'.repeat(21),
    'a'.repeat(23),
    'a'.repeat(21) + '+',
    'a'.repeat(21) + '=',
  ]) {
    fail({ name: `id: malformed "${id}"`, op: 'assertId', id, error: 'FormatError' });
  }
  fail({
    name: 'size: file over 1 PiB',
    op: 'chunkCount',
    size: MAX_FILE_SIZE + 1,
    error: 'FormatError',
  });
  fail({ name: 'size: negative', op: 'chunkCount', size: -1, error: 'FormatError' });
  fail({ name: 'size: not an integer', op: 'chunkCount', size: 1.5, error: 'FormatError' });
  fail({
    name: 'name: 256 UTF-8 bytes',
    op: 'validateName',
    text: 'é'.repeat(128),
    error: 'FormatError',
  });
  fail({ name: 'name: contains a slash', op: 'validateName', text: 'a/b', error: 'FormatError' });
  fail({ name: 'name: dot dot', op: 'validateName', text: '..', error: 'FormatError' });

  const compactRecovery = account.recoveryKey.replace(/-/g, '');
  fail({
    name: 'recovery key: letter U',
    op: 'recoveryAuthKey',
    text: 'U' + compactRecovery.slice(1),
    error: 'FormatError',
  });
  fail({
    name: 'recovery key: one character short',
    op: 'recoveryAuthKey',
    text: compactRecovery.slice(1),
    error: 'FormatError',
  });
  fail({
    name: 'recovery key: base64url form',
    op: 'recoveryAuthKey',
    text: b64(recoveryBytes),
    error: 'FormatError',
  });
  fail({
    name: 'recovery key: non-zero bits past 256',
    op: 'recoveryAuthKey',
    text: compactRecovery.slice(0, -1) + 'Z',
    error: 'FormatError',
  });

  const weak = (name: string, params: KdfParams, error: 'WeakKdfError' | 'FormatError') =>
    fail({ name: `kdf: ${name}`, op: 'derivePasswordKeys', password: 'x', params, error });
  weak('opslimit 2', { ...kdfParams, opslimit: 2 }, 'WeakKdfError');
  weak('memlimit 32 MiB', { ...kdfParams, memlimit: 32 * 1024 * 1024 }, 'WeakKdfError');
  weak('argon2i', { ...kdfParams, alg: 'argon2i13' as 'argon2id13' }, 'WeakKdfError');
  weak('memlimit 2 GiB', { ...kdfParams, memlimit: 2 * 1024 * 1024 * 1024 }, 'FormatError');
  weak('salt of 8 bytes', { ...kdfParams, salt: b64(fixed('short salt', 8)) }, 'FormatError');

  // Sealed blob: the wrapped master key, every region of it.
  const masterAd = associatedDataText('master-key', userId);
  const sealedFailure = (
    name: string,
    sealed: string,
    key = passwordKeys.encKey,
    adText = masterAd,
  ) =>
    fail({
      name: `sealed: ${name}`,
      op: 'openSealed',
      key: b64(key),
      ad: adText,
      sealed,
      maxBytes: 73,
      error: 'IntegrityError',
    });
  sealedFailure('wrong key', bundle.wrappedMasterKey, fixed('wrong key'));
  sealedFailure(
    'wrong purpose in AD',
    bundle.wrappedMasterKey,
    passwordKeys.encKey,
    associatedDataText('master-key-recovery', userId),
  );
  sealedFailure(
    'wrong user id in AD',
    bundle.wrappedMasterKey,
    passwordKeys.encKey,
    associatedDataText('master-key', rootId),
  );
  sealedFailure('flipped bit in version byte', flipText(bundle.wrappedMasterKey, 0));
  sealedFailure('version 2', b64(flip(fromBase64Url(bundle.wrappedMasterKey), 0, 0x03)));
  sealedFailure('flipped bit in nonce', flipText(bundle.wrappedMasterKey, 5));
  sealedFailure('flipped bit in ciphertext', flipText(bundle.wrappedMasterKey, 30));
  sealedFailure('flipped bit in tag', flipText(bundle.wrappedMasterKey, -1));
  sealedFailure(
    'truncated by one byte',
    b64(fromBase64Url(bundle.wrappedMasterKey).subarray(0, -1)),
  );
  sealedFailure(
    'shorter than the overhead',
    b64(fromBase64Url(bundle.wrappedMasterKey).subarray(0, 40)),
  );
  sealedFailure('malformed base64url', bundle.wrappedMasterKey + '=');
  sealedFailure(
    'over the size bound',
    b64(seal(passwordKeys.encKey, utf8(masterAd), new Uint8Array(33))),
  );

  const accountFailure = (
    name: string,
    changed: Partial<AccountBundle>,
    user = userId,
    encKey = passwordKeys.encKey,
  ) =>
    fail({
      name: `account: ${name}`,
      op: 'openAccount',
      userId: user,
      encKey: b64(encKey),
      bundle: { ...bundle, ...changed },
      error: 'IntegrityError',
    });
  const otherAccount = makeAccount(fixed('other account seed'), userId, passwordKeys.encKey).bundle;
  accountFailure('wrong password key', {}, userId, fixed('wrong password'));
  accountFailure('other user id', {}, rootId);
  accountFailure('tampered wrapped master key', {
    wrappedMasterKey: flipText(bundle.wrappedMasterKey, 40),
  });
  accountFailure('tampered wrapped signing key', {
    wrappedSignSecretKey: flipText(bundle.wrappedSignSecretKey, 40),
  });
  accountFailure('tampered wrapped box key', {
    wrappedBoxSecretKey: flipText(bundle.wrappedBoxSecretKey, 40),
  });
  accountFailure('tampered wrapped root key', {
    wrappedRootKey: flipText(bundle.wrappedRootKey, 40),
  });
  accountFailure('signing public key replaced', { signPublicKey: otherAccount.signPublicKey });
  accountFailure('box public key replaced', { boxPublicKey: otherAccount.boxPublicKey });
  accountFailure('root id replaced', { rootId: otherAccount.rootId });
  accountFailure('root key of another account', { wrappedRootKey: otherAccount.wrappedRootKey });
  fail({
    name: 'account: recovery with another valid recovery key',
    op: 'openAccountWithRecovery',
    userId,
    recoveryKey: makeAccount(fixed('other account seed'), userId, passwordKeys.encKey).recoveryKey,
    bundle,
    error: 'IntegrityError',
  });

  const nodeFailure = (
    name: string,
    node: SealedNodeVector,
    parentId = keys.rootId,
    parentKey = keys.rootKey,
  ) =>
    fail({
      name: `node: ${name}`,
      op: 'openNode',
      parentId,
      parentKey: b64(parentKey),
      node,
      error: 'IntegrityError',
    });
  const listedA = sealedNode(fileA, 'file');
  nodeFailure('wrapped keys swapped between siblings', {
    ...listedA,
    wrappedKey: fileB.wrappedKey,
  });
  nodeFailure('names swapped between siblings', { ...listedA, encMeta: fileB.encMeta });
  nodeFailure('moved into another folder by the server', listedA, folder.id, folder.key);
  nodeFailure('parent id changed', listedA, folder.id);
  nodeFailure('id changed', { ...listedA, id: fixedId('other node') });
  nodeFailure('type changed', { ...listedA, type: 'folder' });
  nodeFailure('flipped bit in metadata', { ...listedA, encMeta: flipText(fileA.encMeta, 50) });
  nodeFailure(
    'injected with a key the server made up',
    sealedNode(
      makeNodes(fixed('injected'), keys.rootId, fixed('server key'), [nodeInputs[1]!])[0]!,
      'file',
    ),
  );
  const metaAd = utf8(associatedDataText('node-meta', fileA.id, keys.rootId, 'file'));
  const metaJson = (value: unknown) => utf8(JSON.stringify(value));
  nodeFailure('metadata over 4 KiB', {
    ...listedA,
    encMeta: sealToText(
      nodeMetaKey(fileA.key),
      metaAd,
      metaJson({ name: 'x', mtime: null, mime: 'x'.repeat(MAX_SEALED_META), size: 5 }),
    ),
  });
  nodeFailure('metadata missing a field', {
    ...listedA,
    encMeta: sealToText(
      nodeMetaKey(fileA.key),
      metaAd,
      metaJson({ name: 'x', mtime: null, size: 5 }),
    ),
  });
  nodeFailure('metadata with an invalid name', {
    ...listedA,
    encMeta: sealToText(
      nodeMetaKey(fileA.key),
      metaAd,
      metaJson({ name: '../x', mtime: null, mime: null, size: 5 }),
    ),
  });

  fail({
    name: 'content key: other revision',
    op: 'openContentKey',
    nodeId: fileA.id,
    nodeKey: b64(fileA.key),
    revision: 2,
    wrapped: small.made.wrappedContentKey,
    error: 'IntegrityError',
  });
  fail({
    name: 'content key: wrapped key of another file',
    op: 'openContentKey',
    nodeId: fileA.id,
    nodeKey: b64(fileA.key),
    revision: 1,
    wrapped: byName('empty').made.wrappedContentKey,
    error: 'IntegrityError',
  });

  // Chunks. The small file's single chunk is stored; the three-chunk file is regenerated by name.
  const smallChunk = small.made.chunks[0]!;
  type ChunkSource = Extract<Failure, { op: 'openChunk' }>['chunk'];
  const chunkFailure = (
    name: string,
    chunk: ChunkSource,
    overrides: Partial<{
      contentKey: Uint8Array;
      nodeId: string;
      revision: number;
      count: number;
      index: number;
      expectedIds: string[];
    }> = {},
    file = small,
  ) => {
    const {
      contentKey = file.made.contentKey,
      nodeId = file.spec.nodeId,
      revision = 1,
      count = file.made.chunks.length,
      index = 0,
    } = overrides;
    fail({
      name: `chunk: ${name}`,
      op: 'openChunk',
      contentKey: b64(contentKey),
      nodeId,
      revision,
      count,
      index,
      ...(overrides.expectedIds ? { expectedIds: overrides.expectedIds } : {}),
      chunk,
      error: 'IntegrityError',
    });
  };
  chunkFailure(
    'wrong content key',
    { bytes: b64(smallChunk) },
    { contentKey: fixed('wrong content key') },
  );
  chunkFailure('flipped bit in version byte', { bytes: b64(flip(smallChunk, 0)) });
  chunkFailure('version 2', { bytes: b64(flip(smallChunk, 0, 0x03)) });
  chunkFailure('flipped bit in nonce', { bytes: b64(flip(smallChunk, 10)) });
  chunkFailure('flipped bit in ciphertext', { bytes: b64(flip(smallChunk, 26)) });
  chunkFailure('flipped bit in tag', { bytes: b64(flip(smallChunk, -1)) });
  chunkFailure('truncated by one byte', { bytes: b64(smallChunk.subarray(0, -1)) });
  chunkFailure('wrong node id in AD', { bytes: b64(smallChunk) }, { nodeId: fileB.id });
  chunkFailure('wrong revision in AD', { bytes: b64(smallChunk) }, { revision: 2 });
  const forgedChunk = (index: number, count: number, final: number) =>
    b64(
      seal(
        chunkKey(small.made.contentKey),
        associatedData('chunk', fileA.id, 1, index, count, final),
        utf8('hello'),
      ),
    );
  chunkFailure('sealed with index 1 in AD', { bytes: forgedChunk(1, 1, 1) });
  chunkFailure('sealed with final flag 0 in AD', { bytes: forgedChunk(0, 1, 0) });
  chunkFailure('sealed with count 2 in AD', { bytes: forgedChunk(0, 2, 1) });
  chunkFailure(
    'id not the one in the manifest',
    { bytes: b64(smallChunk) },
    { expectedIds: [chunkId(fromBase64Url(forgedChunk(0, 1, 1)))] },
  );
  chunkFailure('longer than the largest chunk', { zeros: MAX_CHUNK_CIPHER_SIZE + 1 });
  chunkFailure('swapped chunks 0 and 1', { file: 'three-chunks', index: 1 }, { index: 0 }, three);
  chunkFailure('swapped chunks 1 and 0', { file: 'three-chunks', index: 0 }, { index: 1 }, three);
  chunkFailure(
    'last chunk dropped (reader told count 2)',
    { file: 'three-chunks', index: 1 },
    { index: 1, count: 2 },
    three,
  );
  chunkFailure(
    'last chunk given in place of a full one',
    { file: 'three-chunks', index: 2 },
    { index: 1 },
    three,
  );
  chunkFailure(
    'truncated last chunk',
    { file: 'three-chunks', index: 2, truncate: 1 },
    { index: 2 },
    three,
  );
  chunkFailure(
    'full chunk cut to 1 MiB',
    { file: 'three-chunks', index: 0, truncate: 3 * 1024 * 1024 },
    { index: 0 },
    three,
  );

  // Manifests: re-signed bodies that break one rule each, sealed properly under the manifest key.
  const signer = signerOf(fixed('signer'));
  function forgedManifest(body: Record<string, unknown>, key = signer.secretKey): string {
    const text = JSON.stringify(body);
    const message = utf8(`${associatedDataText('manifest-signature')}|${text}`);
    const sig = b64(s.crypto_sign_detached(message, key));
    return sealToText(
      manifestKey(three.made.contentKey),
      associatedData('manifest', three.spec.nodeId, 1),
      utf8(JSON.stringify({ body: text, sig })),
    );
  }
  const goodBody = JSON.parse(three.vector.manifestBody) as Record<string, unknown> & {
    chunks: string[];
  };
  const manifestFailure = (
    name: string,
    sealed: string,
    overrides: { nodeId?: string; revision?: number; contentKey?: Uint8Array } = {},
  ) =>
    fail({
      name: `manifest: ${name}`,
      op: 'openManifest',
      sealed,
      contentKey: b64(overrides.contentKey ?? three.made.contentKey),
      nodeId: overrides.nodeId ?? three.spec.nodeId,
      revision: overrides.revision ?? 1,
      signer: b64(signer.publicKey),
      error: 'IntegrityError',
    });
  manifestFailure('other node id', three.made.manifest, { nodeId: fileA.id });
  manifestFailure('other revision', three.made.manifest, { revision: 2 });
  manifestFailure('wrong content key', three.made.manifest, {
    contentKey: fixed('wrong content key'),
  });
  manifestFailure('flipped bit', flipText(three.made.manifest, 60));
  manifestFailure('count does not match size', forgedManifest({ ...goodBody, count: 2 }));
  manifestFailure(
    'last chunk id dropped',
    forgedManifest({ ...goodBody, chunks: goodBody.chunks.slice(0, 2) }),
  );
  manifestFailure(
    'size over 1 PiB',
    forgedManifest({ ...goodBody, size: 2 ** 51, count: 2 ** 29 }),
  );
  manifestFailure('other chunk size', forgedManifest({ ...goodBody, chunkSize: 1024 * 1024 }));
  manifestFailure('version 2', forgedManifest({ ...goodBody, v: 2 }));
  manifestFailure(
    'other node id inside the body',
    forgedManifest({ ...goodBody, nodeId: fileA.id }),
  );
  manifestFailure(
    'commitment of another key',
    forgedManifest({ ...goodBody, commitment: b64(keyedHash(fixed('x'), utf8('x'))) }),
  );
  const mallory = signerOf(fixed('mallory'));
  manifestFailure('signed by someone else', forgedManifest(goodBody, mallory.secretKey));
  manifestFailure(
    'signed and claimed by someone else',
    forgedManifest({ ...goodBody, signer: b64(mallory.publicKey) }, mallory.secretKey),
  );

  // Share links. Fragments: the folder link's key, altered one way each.
  const key = plainLink.made.linkKey;
  const fragmentFailure = (name: string, text: string) =>
    fail({ name: `link fragment: ${name}`, op: 'parseLinkFragment', text, error: 'FormatError' });
  fragmentFailure('missing', '');
  fragmentFailure('"#" only', '#');
  fragmentFailure('42 characters', '#' + key.slice(1));
  fragmentFailure('44 characters', '#A' + key);
  fragmentFailure('"=" padding after 43 characters', '#' + key + '=');
  fragmentFailure('"=" in place of the last character', '#' + key.slice(0, 42) + '=');
  fragmentFailure('"+" (standard base64)', '#+' + key.slice(1));
  fragmentFailure('"/" (standard base64)', '#/' + key.slice(1));
  fragmentFailure('non-ASCII letter', '#é' + key.slice(1));
  fragmentFailure('space inside', '#' + key.slice(0, 20) + ' ' + key.slice(21));
  fragmentFailure('trailing line break', '#' + key + '\n');
  // 43 characters carry 258 bits: a last character with either spare bit set is not canonical.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const spareBitSet = alphabet[alphabet.indexOf(key[42]!) | 1]!;
  fragmentFailure('non-canonical last character', '#' + key.slice(0, 42) + spareBitSet);

  type OpenLinkFailure = Extract<Failure, { op: 'openLink' }>;
  const linkFailure = (
    name: string,
    error: Failure['error'],
    link: typeof plainLink,
    changes: Partial<Omit<OpenLinkFailure, 'name' | 'op' | 'error'>> = {},
  ) =>
    fail({
      name: `link: ${name}`,
      op: 'openLink',
      linkKey: link.made.linkKey,
      linkId: link.spec.linkId,
      nodeId: link.spec.nodeId,
      type: link.spec.type,
      wrappedKey: link.made.wrappedKey,
      kdf: link.made.kdf,
      password: link.spec.password,
      ...changes,
      error,
    });
  linkFailure('wrong link key', 'IntegrityError', plainLink, {
    linkKey: b64(fixed('wrong link key')),
  });
  linkFailure('link key of another link', 'IntegrityError', plainLink, {
    linkKey: passwordLink.made.linkKey,
  });
  linkFailure('wrapped key of another link', 'IntegrityError', plainLink, {
    wrappedKey: passwordLink.made.wrappedKey,
  });
  linkFailure('other link id in AD', 'IntegrityError', plainLink, {
    linkId: passwordLink.spec.linkId,
  });
  linkFailure('other node id in AD', 'IntegrityError', plainLink, { nodeId: fileA.id });
  linkFailure('type changed in AD', 'IntegrityError', plainLink, { type: 'file' });
  linkFailure('node id and type of the other link', 'IntegrityError', plainLink, {
    nodeId: passwordLink.spec.nodeId,
    type: passwordLink.spec.type,
  });
  linkFailure('flipped bit in wrapped key', 'IntegrityError', plainLink, {
    wrappedKey: flipText(plainLink.made.wrappedKey, 40),
  });
  linkFailure('flipped bit in tag', 'IntegrityError', plainLink, {
    wrappedKey: flipText(plainLink.made.wrappedKey, -1),
  });
  linkFailure('node key without the signing key', 'IntegrityError', plainLink, {
    wrappedKey: withDeterministicRandom(fixed('link forgery'), () =>
      sealToText(
        plainLink.wrapKey,
        associatedData('link-key', plainLink.spec.linkId, folder.id, 'folder'),
        folder.key,
      ),
    ),
  });
  linkFailure('wrong password', 'IntegrityError', passwordLink, { password: 'lien partagé' });
  linkFailure(
    'password link opened with its key alone (kdf dropped)',
    'IntegrityError',
    passwordLink,
    {
      kdf: null,
      password: null,
    },
  );
  linkFailure('password missing', 'FormatError', passwordLink, { password: null });
  const passwordKdf = passwordLink.made.kdf!;
  linkFailure('kdf opslimit 2', 'WeakKdfError', passwordLink, {
    kdf: { ...passwordKdf, opslimit: 2 },
  });
  linkFailure('kdf memlimit 32 MiB', 'WeakKdfError', passwordLink, {
    kdf: { ...passwordKdf, memlimit: 32 * 1024 * 1024 },
  });
  linkFailure('kdf argon2i', 'WeakKdfError', passwordLink, {
    kdf: { ...passwordKdf, alg: 'argon2i13' as 'argon2id13' },
  });
  linkFailure('malformed link key', 'FormatError', plainLink, { linkKey: key.slice(0, 42) + '=' });
  linkFailure('malformed link id', 'FormatError', plainLink, { linkId: 'short' });

  const ownerFailure = (
    name: string,
    changes: Partial<Omit<Extract<Failure, { op: 'openOwnerLinkKey' }>, 'name' | 'op'>>,
  ) =>
    fail({
      name: `link owner key: ${name}`,
      op: 'openOwnerLinkKey',
      userId,
      masterKey: b64(keys.masterKey),
      linkId: plainLink.spec.linkId,
      ownerKey: plainLink.made.ownerKey,
      ...changes,
      error: 'IntegrityError',
    });
  ownerFailure('other user id', { userId: rootId });
  ownerFailure('other link id', { linkId: passwordLink.spec.linkId });
  ownerFailure('wrong master key', { masterKey: b64(fixed('wrong master key')) });
  ownerFailure('flipped bit', { ownerKey: flipText(plainLink.made.ownerKey, 40) });
  ownerFailure('owner key of another link', { ownerKey: passwordLink.made.ownerKey });
  ownerFailure("the link's wrapped key in its place", { ownerKey: plainLink.made.wrappedKey });

  return {
    description:
      'Coffre format version 1 test vectors (docs/spec/format.md). Generated by test/vectors/generate.ts; see test/vectors/README.md.',
    base64url,
    associatedData: associatedDataVectors,
    subkeys,
    sealed: sealedVectors,
    kdf: {
      password,
      params: kdfParams,
      encKey: b64(passwordKeys.encKey),
      authKey: b64(passwordKeys.authKey),
    },
    account: {
      seed: b64(accountSeed),
      userId,
      encKey: b64(passwordKeys.encKey),
      recoveryKey: account.recoveryKey,
      recoveryAuthKey: b64(account.recoveryAuthKey),
      keys: {
        masterKey: b64(keys.masterKey),
        signPublicKey: b64(keys.signPublicKey),
        signSecretKey: b64(keys.signSecretKey),
        boxPublicKey: b64(keys.boxPublicKey),
        boxSecretKey: b64(keys.boxSecretKey),
        rootId: keys.rootId,
        rootKey: b64(keys.rootKey),
      },
      bundle,
    },
    nodes: {
      seed: b64(nodeSeed),
      parentId: keys.rootId,
      parentKey: b64(keys.rootKey),
      created: created.map((n, i) => ({
        ...sealedNode(n, nodeInputs[i]!.type),
        meta: nodeInputs[i]!.meta,
        key: b64(n.key),
      })),
    },
    files: files.map((f) => f.vector),
    links: {
      origin,
      userId,
      masterKey: b64(keys.masterKey),
      signPublicKey: b64(keys.signPublicKey),
      created: links.map((l) => l.vector),
    },
    failures,
  };
}

const vectors = withDeterministicRandom(fixed('generator'), buildVectors);
const failures = vectors.failures;
const names = new Set(failures.map((f) => f.name));
if (names.size !== failures.length) throw new Error('failure names must be unique');
const out = new URL('./vectors.json', import.meta.url);
writeFileSync(out, JSON.stringify(vectors, null, 1) + '\n');
console.log(`wrote ${out.pathname}: ${failures.length} named failures`);
