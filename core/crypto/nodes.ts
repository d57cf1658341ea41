import {
  FormatError,
  MAX_FILE_SIZE,
  MAX_MIME_LENGTH,
  MAX_NAME_BYTES,
  MAX_SEALED_META,
  SEALED_OVERHEAD,
  associatedData,
  assertId,
  isId,
} from '../format';
import { IntegrityError } from './errors';
import { KDF_CONTEXT, KEY_BYTES, assertKey, deriveSubkey } from './primitives';
import { randomBytes, randomId } from './random';
import { openKey, openText, sealToText } from './sealed';

export type NodeType = 'folder' | 'file';

/** Decrypted node attributes (format.md §6). `size` is the plaintext size of files, null for folders. */
export interface NodeMeta {
  name: string;
  mtime: number | null;
  mime: string | null;
  size: number | null;
}

/** A node as the server lists it. */
export interface SealedNode {
  id: string;
  type: NodeType;
  wrappedKey: string;
  encMeta: string;
}

const KEY_VERSION = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

// Subkeys of a node key (format.md §4): each wraps or seals one kind of thing (R3).
export const nodeMetaKey = (nodeKey: Uint8Array) => deriveSubkey(nodeKey, KDF_CONTEXT.node, 1);
export const childWrapKey = (nodeKey: Uint8Array) => deriveSubkey(nodeKey, KDF_CONTEXT.node, 2);
export const contentWrapKey = (nodeKey: Uint8Array) => deriveSubkey(nodeKey, KDF_CONTEXT.node, 3);

export function isNodeType(type: unknown): type is NodeType {
  return type === 'folder' || type === 'file';
}

export function assertType(type: unknown): asserts type is NodeType {
  if (!isNodeType(type)) throw new FormatError('node type must be folder or file');
}

/** Returns the name unchanged if it is a valid file or folder name; throws a readable FormatError. */
export function validateName(name: string): string {
  if (typeof name !== 'string' || name.length === 0)
    throw new FormatError('A name cannot be empty.');
  const bytes = encoder.encode(name);
  // A lone surrogate would be silently replaced by U+FFFD when encoded, changing the name.
  if (decoder.decode(bytes) !== name)
    throw new FormatError('The name contains invalid characters.');
  if (bytes.length > MAX_NAME_BYTES) {
    throw new FormatError(`A name can be at most ${MAX_NAME_BYTES} bytes long.`);
  }
  if (name.includes('/')) throw new FormatError('A name cannot contain "/".');
  if (name.includes('\0')) throw new FormatError('A name cannot contain a NUL character.');
  if (name === '.' || name === '..') throw new FormatError('A name cannot be "." or "..".');
  return name;
}

function validateMeta(type: NodeType, meta: NodeMeta): NodeMeta {
  if (meta === null || typeof meta !== 'object')
    throw new FormatError('metadata must be an object');
  const { name, mtime, mime, size } = meta;
  validateName(name);
  if (mtime !== null && !(typeof mtime === 'number' && Number.isSafeInteger(mtime))) {
    throw new FormatError('mtime must be an integer (milliseconds since 1970) or null');
  }
  if (mime !== null && !(typeof mime === 'string' && mime.length <= MAX_MIME_LENGTH)) {
    throw new FormatError(`mime must be a string of at most ${MAX_MIME_LENGTH} characters or null`);
  }
  if (type === 'folder' ? size !== null : !isFileSize(size)) {
    throw new FormatError('size must be the file size for files and null for folders');
  }
  return { name, mtime, mime, size };
}

function isFileSize(size: unknown): boolean {
  return (
    typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 && size <= MAX_FILE_SIZE
  );
}

export function sealNodeMeta(
  id: string,
  parentId: string,
  type: NodeType,
  key: Uint8Array,
  meta: NodeMeta,
): string {
  assertId(id, 'node id');
  assertId(parentId, 'parent id');
  assertType(type);
  assertKey(key, 'node key');
  const { name, mtime, mime, size } = validateMeta(type, meta);
  // Fixed key order, so the same metadata always gives the same plaintext.
  const plaintext = encoder.encode(JSON.stringify({ name, mtime, mime, size }));
  if (plaintext.length + SEALED_OVERHEAD > MAX_SEALED_META) {
    throw new FormatError('metadata is too large');
  }
  return sealToText(nodeMetaKey(key), associatedData('node-meta', id, parentId, type), plaintext);
}

export function wrapNodeKey(
  id: string,
  parentId: string,
  parentKey: Uint8Array,
  type: NodeType,
  key: Uint8Array,
): string {
  assertId(id, 'node id');
  assertId(parentId, 'parent id');
  assertType(type);
  assertKey(parentKey, 'parent key');
  assertKey(key, 'node key');
  return sealToText(
    childWrapKey(parentKey),
    associatedData('node-key', id, parentId, type, KEY_VERSION),
    key,
  );
}

/** A new folder or file under `parentId`; the caller sends id, type, wrappedKey and encMeta. */
export function createNode(
  parentId: string,
  parentKey: Uint8Array,
  type: NodeType,
  meta: NodeMeta,
): { id: string; key: Uint8Array; wrappedKey: string; encMeta: string } {
  const id = randomId();
  const key = randomBytes(KEY_BYTES);
  const encMeta = sealNodeMeta(id, parentId, type, key, meta);
  return { id, key, wrappedKey: wrapNodeKey(id, parentId, parentKey, type, key), encMeta };
}

function parseMeta(type: NodeType, plaintext: Uint8Array): NodeMeta {
  try {
    const value: unknown = JSON.parse(decoder.decode(plaintext));
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new IntegrityError();
    const keys = Object.keys(value).sort().join(',');
    if (keys !== 'mime,mtime,name,size') throw new IntegrityError();
    return validateMeta(type, value as NodeMeta);
  } catch {
    throw new IntegrityError();
  }
}

/**
 * Opens a node's metadata with a key obtained elsewhere: a share link's root node, whose key
 * comes from the link rather than from its parent. The AD still names the node, its parent and
 * its type, so the server cannot hand out another node's metadata under this one (R10).
 */
export function openNodeMeta(
  id: string,
  parentId: string,
  type: NodeType,
  nodeKey: Uint8Array,
  encMeta: string,
): NodeMeta {
  assertKey(nodeKey, 'node key');
  // All three come from the server's listing: a malformed one is tampering, not a caller error.
  if (!isId(id) || !isId(parentId) || !isNodeType(type)) throw new IntegrityError();
  const plaintext = openText(
    nodeMetaKey(nodeKey),
    associatedData('node-meta', id, parentId, type),
    encMeta,
    MAX_SEALED_META,
  );
  return parseMeta(type, plaintext);
}

/**
 * Unwraps a node listed by the server under the folder `parentId`. The AD binds the node's id,
 * its parent and its type, so a moved, swapped or invented node fails here (R10, R12).
 */
export function openNode(
  parentId: string,
  parentKey: Uint8Array,
  node: SealedNode,
): { key: Uint8Array; meta: NodeMeta } {
  assertId(parentId, 'parent id');
  assertKey(parentKey, 'parent key');
  if (node === null || typeof node !== 'object') throw new IntegrityError();
  const { id, type } = node;
  if (!isId(id) || !isNodeType(type)) throw new IntegrityError();
  const key = openKey(
    childWrapKey(parentKey),
    associatedData('node-key', id, parentId, type, KEY_VERSION),
    node.wrappedKey,
  );
  return { key, meta: openNodeMeta(id, parentId, type, key, node.encMeta) };
}
