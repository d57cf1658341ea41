// core/crypto: every key and every byte of ciphertext in Coffre goes through these functions.
// All are synchronous once initCrypto() has resolved.
export { initCrypto } from './sodium';
export { IntegrityError, WeakKdfError } from './errors';
export { randomId } from './random';
export { sha256 } from './primitives';
export { type KdfParams, KDF_FLOOR, newKdfParams, derivePasswordKeys, checkKdfParams } from './kdf';
export {
  type AccountBundle,
  type AccountKeys,
  createAccount,
  openAccount,
  openAccountWithRecovery,
  recoveryAuthKey,
  wrapMasterKey,
} from './account';
export {
  type NodeType,
  type NodeMeta,
  type SealedNode,
  validateName,
  createNode,
  openNode,
  openNodeMeta,
  sealNodeMeta,
  wrapNodeKey,
} from './nodes';
export { createContentKey, openContentKey, ChunkSealer, chunkId } from './content';
export { type Manifest, sealManifest, openManifest } from './manifest';
export {
  type LinkTarget,
  type LinkSecret,
  createLink,
  wrapLinkKey,
  openLink,
  openOwnerLinkKey,
} from './link-keys';
