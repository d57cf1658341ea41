import {
  FormatError,
  LINK_KEY_BYTES,
  LINK_WRAPPED_KEY_BYTES,
  SEALED_OVERHEAD,
  associatedData,
  assertId,
  decodeLinkKey,
  isId,
  toBase64Url,
} from '../format';
import { IntegrityError } from './errors';
import { type KdfParams, checkKdfParams, hashPassword, newKdfParams } from './kdf';
import { type NodeType, assertType, isNodeType } from './nodes';
import { KDF_CONTEXT, KEY_BYTES, assertKey, deriveSubkey, keyedHash } from './primitives';
import { randomBytes } from './random';
import { openKey, openText, sealToText } from './sealed';

// Share links (format.md §11). The link key lives only in the URL fragment (R11); it wraps the
// shared node's key under its own purpose and AD, and is never a key of the account's tree (R5).

/** What a link's wrapped key holds: node key ‖ the owner's Ed25519 public key. */
const LINK_PLAINTEXT_BYTES = LINK_WRAPPED_KEY_BYTES - SEALED_OVERHEAD;
const PASSWORD_HASH_BYTES = 32;

/** The shared node, as named in the `link-key` AD. */
export interface LinkTarget {
  linkId: string;
  nodeId: string;
  type: NodeType;
}

export interface LinkSecret extends LinkTarget {
  nodeKey: Uint8Array;
  /** The owner's signing key: the recipient accepts only manifests signed with it. */
  signPublicKey: Uint8Array;
  /** A non-empty password, or null for a link opened by its key alone. */
  password: string | null;
}

/** K of a link without password. */
export const linkWrapKey = (linkKey: Uint8Array) => deriveSubkey(linkKey, KDF_CONTEXT.link, 1);

/** The owner's subkey of the master key that seals the copies of their link keys. */
export const ownerLinkWrapKey = (masterKey: Uint8Array) =>
  deriveSubkey(masterKey, KDF_CONTEXT.linkOwner, 1);

/**
 * K of a password link: BLAKE2b-256 keyed with the link key over "coffre|1|link-password|" ‖ P,
 * P the password's Argon2id output. The server holds neither the link key nor P, so it cannot
 * test a guess (R16); the link key alone does not open the link either.
 */
export function passwordLinkWrapKey(linkKey: Uint8Array, passwordHash: Uint8Array): Uint8Array {
  const prefix = associatedData('link-password');
  const message = new Uint8Array(prefix.length + 1 + passwordHash.length);
  message.set(prefix);
  message[prefix.length] = 0x7c; // '|'
  message.set(passwordHash, prefix.length + 1);
  return keyedHash(linkKey, message);
}

type LinkPassword = { password: string; kdf: KdfParams } | null;

function wrapKeyOf(linkKey: Uint8Array, secret: LinkPassword): Uint8Array {
  if (secret === null) return linkWrapKey(linkKey);
  const { password, kdf } = secret;
  return passwordLinkWrapKey(linkKey, hashPassword(password, kdf, PASSWORD_HASH_BYTES));
}

function assertPassword(password: unknown): asserts password is string | null {
  if (password !== null && (typeof password !== 'string' || password.length === 0)) {
    throw new FormatError('A link password cannot be empty.');
  }
}

const linkAd = ({ linkId, nodeId, type }: LinkTarget) =>
  associatedData('link-key', linkId, nodeId, type);

/**
 * Wraps the node key (and the owner's signing key) for an existing link key: used at creation
 * and whenever the owner sets, changes or removes the password (fresh salt each time). With a
 * password this runs Argon2id (about a second, 64 MiB): call it from a worker.
 */
export function wrapLinkKey(input: LinkSecret & { linkKey: string }): {
  wrappedKey: string;
  kdf: KdfParams | null;
} {
  const { linkId, nodeId, type, nodeKey, signPublicKey, password } = input;
  const linkKey = decodeLinkKey(input.linkKey);
  assertId(linkId, 'link id');
  assertId(nodeId, 'node id');
  assertType(type);
  assertKey(nodeKey, 'node key');
  assertKey(signPublicKey, 'signing public key');
  assertPassword(password);
  const secret = password === null ? null : { password, kdf: newKdfParams() };
  const plaintext = new Uint8Array(LINK_PLAINTEXT_BYTES);
  plaintext.set(nodeKey);
  plaintext.set(signPublicKey, KEY_BYTES);
  const wrappedKey = sealToText(wrapKeyOf(linkKey, secret), linkAd(input), plaintext);
  return { wrappedKey, kdf: secret && secret.kdf };
}

/**
 * A new link to the node: a random 32-byte link key (its 43-character text is the URL fragment),
 * the node key wrapped under it, and the owner's copy of the link key sealed under the master key,
 * so any of the owner's devices can show the link again.
 */
export function createLink(input: LinkSecret & { userId: string; masterKey: Uint8Array }): {
  linkKey: string;
  wrappedKey: string;
  kdf: KdfParams | null;
  ownerKey: string;
} {
  const { userId, masterKey, linkId } = input;
  assertId(userId, 'user id');
  assertKey(masterKey, 'master key');
  assertId(linkId, 'link id');
  const linkKey = randomBytes(LINK_KEY_BYTES);
  const linkKeyText = toBase64Url(linkKey);
  const { wrappedKey, kdf } = wrapLinkKey({ ...input, linkKey: linkKeyText });
  const ownerKey = sealToText(
    ownerLinkWrapKey(masterKey),
    associatedData('link-owner-key', userId, linkId),
    linkKey,
  );
  return { linkKey: linkKeyText, wrappedKey, kdf, ownerKey };
}

/**
 * The recipient's side. `linkKey` and `linkId` come from the URL (FormatError if malformed);
 * `nodeId`, `type`, `wrappedKey` and `kdf` from the server. A wrong link key, a wrong password and
 * any tampering all give IntegrityError; KDF parameters under the floor give WeakKdfError before
 * any hashing; a password link opened without a password, or a link without password given one,
 * is a FormatError.
 */
export function openLink(
  input: LinkTarget & {
    linkKey: string;
    wrappedKey: string;
    kdf: KdfParams | null;
    password: string | null;
  },
): { nodeKey: Uint8Array; signPublicKey: Uint8Array } {
  const { linkId, nodeId, type, kdf, password } = input;
  const linkKey = decodeLinkKey(input.linkKey);
  assertId(linkId, 'link id');
  if (!isId(nodeId) || !isNodeType(type)) throw new IntegrityError();
  let secret: LinkPassword = null;
  if (kdf !== null) {
    checkKdfParams(kdf); // before any hashing: a downgraded link is refused, not tried
    if (password === null) throw new FormatError('This link needs a password.');
    assertPassword(password);
    secret = { password, kdf };
  } else if (password !== null) {
    throw new FormatError('This link has no password.');
  }
  const plaintext = openText(
    wrapKeyOf(linkKey, secret),
    linkAd({ linkId, nodeId, type }),
    input.wrappedKey,
    LINK_WRAPPED_KEY_BYTES,
  );
  if (plaintext.length !== LINK_PLAINTEXT_BYTES) throw new IntegrityError();
  return { nodeKey: plaintext.slice(0, KEY_BYTES), signPublicKey: plaintext.slice(KEY_BYTES) };
}

/** The owner's copy of a link key, back as the 43-character text of the URL fragment. */
export function openOwnerLinkKey(input: {
  userId: string;
  masterKey: Uint8Array;
  linkId: string;
  ownerKey: string;
}): string {
  const { userId, masterKey, linkId } = input;
  assertId(userId, 'user id');
  assertKey(masterKey, 'master key');
  assertId(linkId, 'link id');
  const linkKey = openKey(
    ownerLinkWrapKey(masterKey),
    associatedData('link-owner-key', userId, linkId),
    input.ownerKey,
  );
  return toBase64Url(linkKey);
}
