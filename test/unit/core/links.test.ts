import { beforeAll, describe, expect, it } from 'vitest';
import {
  FormatError,
  LINK_KEY_LENGTH,
  fromBase64Url,
  linkUrl,
  parseLinkFragment,
  toBase64Url,
} from '@coffre/core/format';
import {
  IntegrityError,
  WeakKdfError,
  createLink,
  createNode,
  initCrypto,
  openLink,
  openNode,
  openNodeMeta,
  openOwnerLinkKey,
  randomId,
  wrapLinkKey,
  type KdfParams,
  type NodeMeta,
} from '@coffre/core/crypto';

beforeAll(initCrypto);

const folderMeta = (name: string): NodeMeta => ({ name, mtime: null, mime: null, size: null });
const fileMeta = (name: string): NodeMeta => ({ name, mtime: null, mime: 'text/plain', size: 3 });
// A valid link key: 42 'A's then a character whose two spare bits are zero.
const KEY_TEXT = 'A'.repeat(42) + 'Q';

/** An owner with a folder "shared" (one file in it) under their root. */
function makeOwner() {
  const rootId = randomId();
  const rootKey = new Uint8Array(32).fill(5);
  const folder = createNode(rootId, rootKey, 'folder', folderMeta('shared'));
  const file = createNode(folder.id, folder.key, 'file', fileMeta('a.txt'));
  return {
    userId: randomId(),
    masterKey: new Uint8Array(32).fill(1),
    signPublicKey: new Uint8Array(32).fill(3),
    rootId,
    folder,
    file,
  };
}

function newLink(owner: ReturnType<typeof makeOwner>, password: string | null) {
  const linkId = randomId();
  const target = { linkId, nodeId: owner.folder.id, type: 'folder' as const };
  const made = createLink({
    ...target,
    userId: owner.userId,
    masterKey: owner.masterKey,
    nodeKey: owner.folder.key,
    signPublicKey: owner.signPublicKey,
    password,
  });
  const open = (changes: Partial<Parameters<typeof openLink>[0]> = {}) =>
    openLink({
      ...target,
      linkKey: made.linkKey,
      wrappedKey: made.wrappedKey,
      kdf: made.kdf,
      password,
      ...changes,
    });
  return { ...made, target, open };
}

function flipLast(text: string): string {
  const bytes = fromBase64Url(text);
  bytes[bytes.length - 1]! ^= 1;
  return toBase64Url(bytes);
}

describe('parseLinkFragment', () => {
  it('returns the 43-character key from location.hash, with or without "#"', () => {
    expect(parseLinkFragment('#' + KEY_TEXT)).toBe(KEY_TEXT);
    expect(parseLinkFragment(KEY_TEXT)).toBe(KEY_TEXT);
    expect(KEY_TEXT).toHaveLength(LINK_KEY_LENGTH);
  });

  it.each([
    ['missing', '', /no key/],
    ['"#" only', '#', /no key/],
    ['42 characters', '#' + KEY_TEXT.slice(1), /43 characters long; this one has 42/],
    ['44 characters', '#A' + KEY_TEXT, /43 characters long; this one has 44/],
    ['"=" padding', '#' + KEY_TEXT + '=', /"=" padding/],
    ['"+" (standard base64)', '#+' + KEY_TEXT.slice(1), /not allowed \("\+" at position 1\)/],
    ['"/" (standard base64)', '#' + KEY_TEXT.slice(0, 5) + '/' + KEY_TEXT.slice(6), /"\/"/],
    ['a non-ASCII letter', '#é' + KEY_TEXT.slice(1), /not allowed/],
    ['an emoji, named whole', '#\u{1F511}' + KEY_TEXT.slice(2), /"\u{1F511}" at position 1/u],
    ['a second "#"', '##' + KEY_TEXT.slice(1), /not allowed/],
    ['a space', '#' + KEY_TEXT.slice(0, 20) + ' ' + KEY_TEXT.slice(21), /space or a line break/],
    ['a trailing line break', '#' + KEY_TEXT + '\n', /space or a line break/],
    ['a non-canonical last character', '#' + KEY_TEXT.slice(0, 42) + 'R', /damaged/],
  ])('refuses %s with a readable message', (_, hash, message) => {
    expect(() => parseLinkFragment(hash)).toThrow(FormatError);
    expect(() => parseLinkFragment(hash)).toThrow(message);
  });
});

describe('linkUrl', () => {
  it('puts the id in the path and the key only in the fragment', () => {
    const linkId = randomId();
    expect(linkUrl('https://coffre.example', linkId, KEY_TEXT)).toBe(
      `https://coffre.example/s/${linkId}#${KEY_TEXT}`,
    );
    expect(linkUrl('http://127.0.0.1:5173', linkId, KEY_TEXT)).toMatch(/^http:\/\/127\.0\.0\.1/);
  });

  it('refuses an origin with a path, a malformed id or key', () => {
    const linkId = randomId();
    expect(() => linkUrl('https://coffre.example/', linkId, KEY_TEXT)).toThrow(FormatError);
    expect(() => linkUrl('coffre.example', linkId, KEY_TEXT)).toThrow(FormatError);
    expect(() => linkUrl('https://coffre.example', 'x', KEY_TEXT)).toThrow(FormatError);
    expect(() => linkUrl('https://coffre.example', linkId, KEY_TEXT + '=')).toThrow(FormatError);
  });
});

describe('link without password', () => {
  it('opens to the node key and the owner signing key; the key is a canonical fragment', () => {
    const owner = makeOwner();
    const link = newLink(owner, null);
    expect(link.kdf).toBeNull();
    expect(parseLinkFragment('#' + link.linkKey)).toBe(link.linkKey);
    const opened = link.open();
    expect(opened.nodeKey).toEqual(owner.folder.key);
    expect(opened.signPublicKey).toEqual(owner.signPublicKey);
  });

  it('gives the recipient the whole tree: root metadata via openNodeMeta, children via openNode', () => {
    const owner = makeOwner();
    const { nodeKey } = newLink(owner, null).open();
    const { folder, file } = owner;
    expect(openNodeMeta(folder.id, owner.rootId, 'folder', nodeKey, folder.encMeta)).toEqual(
      folderMeta('shared'),
    );
    const child = openNode(folder.id, nodeKey, { ...file, type: 'file' });
    expect(child.meta).toEqual(fileMeta('a.txt'));
    // The server cannot present the root under another parent or type.
    expect(() => openNodeMeta(folder.id, randomId(), 'folder', nodeKey, folder.encMeta)).toThrow(
      IntegrityError,
    );
    expect(() => openNodeMeta(folder.id, owner.rootId, 'file', nodeKey, folder.encMeta)).toThrow(
      IntegrityError,
    );
    expect(() => openNodeMeta(folder.id, 'x', 'folder', nodeKey, folder.encMeta)).toThrow(
      IntegrityError,
    );
  });

  it('draws a fresh link key and nonce for every link, even of the same node', () => {
    const owner = makeOwner();
    const a = newLink(owner, null);
    const b = newLink(owner, null);
    expect(a.linkKey).not.toBe(b.linkKey);
    expect(a.wrappedKey).not.toBe(b.wrappedKey);
  });

  it('fails as tampering for a wrong key, another link, a swapped node or type, a flipped bit', () => {
    const owner = makeOwner();
    const link = newLink(owner, null);
    const other = newLink(owner, null);
    const failures: Partial<Parameters<typeof openLink>[0]>[] = [
      { linkKey: KEY_TEXT },
      { linkKey: other.linkKey },
      { linkId: other.target.linkId },
      { nodeId: owner.file.id },
      { type: 'file' },
      { wrappedKey: flipLast(link.wrappedKey) },
      { wrappedKey: other.wrappedKey },
      { wrappedKey: link.ownerKey },
      { nodeId: 'not an id' },
    ];
    for (const changes of failures) {
      expect(() => link.open(changes)).toThrow(IntegrityError);
      expect(() => link.open(changes)).toThrow('integrity check failed');
    }
  });

  it('refuses a malformed link key or link id, and a password it does not have', () => {
    const link = newLink(makeOwner(), null);
    expect(() => link.open({ linkKey: link.linkKey + '=' })).toThrow(FormatError);
    expect(() => link.open({ linkKey: link.linkKey.slice(1) })).toThrow(FormatError);
    expect(() => link.open({ linkId: 'short' })).toThrow(FormatError);
    expect(() => link.open({ password: 'secret' })).toThrow('This link has no password.');
  });
});

describe('link with password', () => {
  // One password link shared by these tests: each Argon2id run costs 64 MiB and most of a second.
  let owner: ReturnType<typeof makeOwner>;
  let link: ReturnType<typeof newLink>;
  beforeAll(() => {
    owner = makeOwner();
    link = newLink(owner, 'crème brûlée'.normalize('NFC'));
  });

  it('stores floor Argon2id parameters with a fresh salt, and opens with the password in any normal form', () => {
    const kdf = link.kdf!;
    expect(kdf).toMatchObject({ alg: 'argon2id13', opslimit: 3, memlimit: 64 * 1024 * 1024 });
    expect(fromBase64Url(kdf.salt)).toHaveLength(16);
    const opened = link.open({ password: 'crème brûlée'.normalize('NFD') });
    expect(opened.nodeKey).toEqual(owner.folder.key);
    expect(opened.signPublicKey).toEqual(owner.signPublicKey);
  }, 30_000);

  it('fails a wrong password as tampering, the same error as a wrong key', () => {
    expect(() => link.open({ password: 'creme brulee' })).toThrow(IntegrityError);
  }, 30_000);

  it('cannot be opened by the link key alone: dropping the kdf (a server downgrade) fails', () => {
    expect(() => link.open({ kdf: null, password: null })).toThrow(IntegrityError);
  });

  it('refuses parameters below the floor before hashing, and a missing or empty password', () => {
    const kdf = link.kdf!;
    const weak = (params: Partial<KdfParams>) => link.open({ kdf: { ...kdf, ...params } });
    expect(() => weak({ opslimit: 2 })).toThrow(WeakKdfError);
    expect(() => weak({ memlimit: 32 * 1024 * 1024 })).toThrow(WeakKdfError);
    expect(() => weak({ alg: 'argon2i13' as 'argon2id13' })).toThrow(WeakKdfError);
    expect(() => weak({ salt: 'AAAA' })).toThrow(FormatError);
    expect(() => link.open({ password: null })).toThrow('This link needs a password.');
    expect(() => link.open({ password: '' })).toThrow(FormatError);
  });

  it('re-wraps under a new password (new salt) or none; the old password stops working', () => {
    const changed = wrapLinkKey({
      ...link.target,
      linkKey: link.linkKey,
      nodeKey: owner.folder.key,
      signPublicKey: owner.signPublicKey,
      password: 'new password',
    });
    expect(changed.kdf!.salt).not.toBe(link.kdf!.salt);
    const reopen = (password: string | null) =>
      link.open({ wrappedKey: changed.wrappedKey, kdf: changed.kdf, password });
    expect(reopen('new password').nodeKey).toEqual(owner.folder.key);
    expect(() => reopen('crème brûlée')).toThrow(IntegrityError);

    const removed = wrapLinkKey({
      ...link.target,
      linkKey: link.linkKey,
      nodeKey: owner.folder.key,
      signPublicKey: owner.signPublicKey,
      password: null,
    });
    expect(removed.kdf).toBeNull();
    expect(link.open({ ...removed, password: null }).nodeKey).toEqual(owner.folder.key);
  }, 60_000);
});

describe("owner's copy of the link key", () => {
  it('gives back the exact fragment text, and only to the same user, link and master key', () => {
    const owner = makeOwner();
    const link = newLink(owner, null);
    const input = {
      userId: owner.userId,
      masterKey: owner.masterKey,
      linkId: link.target.linkId,
      ownerKey: link.ownerKey,
    };
    expect(openOwnerLinkKey(input)).toBe(link.linkKey);
    for (const changes of [
      { userId: randomId() },
      { linkId: randomId() },
      { masterKey: new Uint8Array(32).fill(2) },
      { ownerKey: flipLast(link.ownerKey) },
      { ownerKey: link.wrappedKey },
    ]) {
      expect(() => openOwnerLinkKey({ ...input, ...changes })).toThrow(IntegrityError);
    }
  });

  it('refuses an empty password at creation', () => {
    expect(() => newLink(makeOwner(), '')).toThrow(FormatError);
  });
});
