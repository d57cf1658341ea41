import { beforeAll, describe, expect, it } from 'vitest';
import { FormatError, fromBase64Url, toBase64Url } from '@coffre/core/format';
import {
  IntegrityError,
  createNode,
  initCrypto,
  openNode,
  randomId,
  sealNodeMeta,
  validateName,
  wrapNodeKey,
  type NodeMeta,
  type SealedNode,
} from '@coffre/core/crypto';

beforeAll(initCrypto);

const fileMeta = (name: string): NodeMeta => ({
  name,
  mtime: 1_700_000_000_000,
  mime: 'text/plain',
  size: 12,
});
const folderMeta = (name: string): NodeMeta => ({ name, mtime: null, mime: null, size: null });

/** A small tree: root → docs (folder) → a.txt, b.txt (files); root → photos (folder). */
function makeTree() {
  const rootId = randomId();
  const rootKey = new Uint8Array(32).fill(7);
  const docs = createNode(rootId, rootKey, 'folder', folderMeta('docs'));
  const photos = createNode(rootId, rootKey, 'folder', folderMeta('photos'));
  const a = createNode(docs.id, docs.key, 'file', fileMeta('a.txt'));
  const b = createNode(docs.id, docs.key, 'file', fileMeta('b.txt'));
  const listed = (n: typeof a, type: 'file' | 'folder'): SealedNode => ({
    id: n.id,
    type,
    wrappedKey: n.wrappedKey,
    encMeta: n.encMeta,
  });
  return {
    rootId,
    rootKey,
    docs,
    photos,
    a,
    b,
    listA: listed(a, 'file'),
    listB: listed(b, 'file'),
  };
}

describe('node tree', () => {
  it('opens nodes down the tree with their names', () => {
    const t = makeTree();
    const docs = openNode(t.rootId, t.rootKey, { ...t.docs, type: 'folder' });
    expect(docs.meta).toEqual(folderMeta('docs'));
    const a = openNode(t.docs.id, docs.key, t.listA);
    expect(a.key).toEqual(t.a.key);
    expect(a.meta).toEqual(fileMeta('a.txt'));
  });

  it('detects swapped wrapped keys or swapped names between two siblings', () => {
    const t = makeTree();
    expect(() =>
      openNode(t.docs.id, t.docs.key, { ...t.listA, wrappedKey: t.b.wrappedKey }),
    ).toThrow(IntegrityError);
    expect(() => openNode(t.docs.id, t.docs.key, { ...t.listA, encMeta: t.b.encMeta })).toThrow(
      IntegrityError,
    );
  });

  it('detects a node moved by the server, and accepts a move made by the owner', () => {
    const t = makeTree();
    expect(() => openNode(t.photos.id, t.photos.key, t.listA)).toThrow(IntegrityError);
    const moved: SealedNode = {
      ...t.listA,
      wrappedKey: wrapNodeKey(t.a.id, t.photos.id, t.photos.key, 'file', t.a.key),
      encMeta: sealNodeMeta(t.a.id, t.photos.id, 'file', t.a.key, fileMeta('a.txt')),
    };
    expect(openNode(t.photos.id, t.photos.key, moved).meta.name).toBe('a.txt');
    expect(() => openNode(t.docs.id, t.docs.key, moved)).toThrow(IntegrityError);
  });

  it('detects an injected node, a changed id and a changed type', () => {
    const t = makeTree();
    const forged = createNode(t.docs.id, new Uint8Array(32).fill(9), 'file', fileMeta('evil.exe'));
    expect(() => openNode(t.docs.id, t.docs.key, { ...forged, type: 'file' })).toThrow(
      IntegrityError,
    );
    expect(() => openNode(t.docs.id, t.docs.key, { ...t.listA, id: randomId() })).toThrow(
      IntegrityError,
    );
    expect(() => openNode(t.docs.id, t.docs.key, { ...t.listA, type: 'folder' })).toThrow(
      IntegrityError,
    );
    const bytes = fromBase64Url(t.a.encMeta);
    bytes[bytes.length - 1]! ^= 0x80;
    expect(() =>
      openNode(t.docs.id, t.docs.key, { ...t.listA, encMeta: toBase64Url(bytes) }),
    ).toThrow(IntegrityError);
  });

  it('renames by re-sealing the metadata', () => {
    const t = makeTree();
    const encMeta = sealNodeMeta(t.a.id, t.docs.id, 'file', t.a.key, fileMeta('renamed.txt'));
    expect(openNode(t.docs.id, t.docs.key, { ...t.listA, encMeta }).meta.name).toBe('renamed.txt');
  });

  it('refuses invalid metadata when sealing', () => {
    const t = makeTree();
    const seal = (meta: NodeMeta, type: 'file' | 'folder' = 'file') =>
      sealNodeMeta(t.a.id, t.docs.id, type, t.a.key, meta);
    expect(() => seal({ ...fileMeta('x'), size: null })).toThrow(FormatError);
    expect(() => seal({ ...folderMeta('x'), size: 3 }, 'folder')).toThrow(FormatError);
    expect(() => seal({ ...fileMeta('x'), mtime: 1.5 })).toThrow(FormatError);
    expect(() => seal({ ...fileMeta('x'), mime: 'x'.repeat(256) })).toThrow(FormatError);
  });
});

describe('validateName', () => {
  it('accepts ordinary names up to 255 UTF-8 bytes', () => {
    expect(validateName('Rapport final (v2).pdf')).toBe('Rapport final (v2).pdf');
    expect(validateName('é'.repeat(127))).toHaveLength(127); // 254 bytes
    expect(validateName('...')).toBe('...');
  });

  it.each([
    ['empty', ''],
    ['too long', 'é'.repeat(128)],
    ['slash', 'a/b'],
    ['NUL', 'a\0b'],
    ['dot', '.'],
    ['dot dot', '..'],
    ['lone surrogate', 'a\ud800'],
  ])('refuses %s with a readable message', (_, name) => {
    expect(() => validateName(name)).toThrow(FormatError);
  });
});
