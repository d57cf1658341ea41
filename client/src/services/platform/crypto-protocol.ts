// Messages between the page and the crypto workers. Bulk data travels as ArrayBuffers that are
// transferred (moved, not copied) in both directions; a failure travels as a CryptoFailure value,
// which the pool turns back into the typed error (crypto-pool.ts). The page imports only this
// file's types: the encoder below is the worker's, and brings core/crypto with it.
import {
  IntegrityError,
  WeakKdfError,
  type AccountBundle,
  type AccountKeys,
  type KdfParams,
  type LinkSecret,
  type LinkTarget,
} from '@coffre/core/crypto';

export interface CryptoOps {
  derivePasswordKeys: {
    args: { password: string; params: KdfParams };
    result: { encKey: Uint8Array; authKey: Uint8Array };
  };
  createAccount: {
    args: { userId: string; encKey: Uint8Array };
    result: {
      keys: AccountKeys;
      bundle: AccountBundle;
      recoveryKey: string;
      recoveryAuthKey: Uint8Array;
    };
  };
  openAccount: {
    args: { userId: string; encKey: Uint8Array; bundle: AccountBundle };
    result: AccountKeys;
  };
  openAccountWithRecovery: {
    args: { userId: string; recoveryKey: string; bundle: AccountBundle };
    result: AccountKeys;
  };
  recoveryAuthKey: {
    args: { recoveryKey: string };
    result: Uint8Array;
  };
  /** Share links with a password run Argon2id, so they are made and opened here. */
  createLink: {
    args: LinkSecret & { userId: string; masterKey: Uint8Array };
    result: { linkKey: string; wrappedKey: string; kdf: KdfParams | null; ownerKey: string };
  };
  wrapLinkKey: {
    args: LinkSecret & { linkKey: string };
    result: { wrappedKey: string; kdf: KdfParams | null };
  };
  openLink: {
    args: LinkTarget & {
      linkKey: string;
      wrappedKey: string;
      kdf: KdfParams | null;
      password: string | null;
    };
    result: { nodeKey: Uint8Array; signPublicKey: Uint8Array };
  };
  sealChunk: {
    args: ChunkContext & { plaintext: ArrayBuffer };
    result: { chunk: ArrayBuffer; id: string };
  };
  /**
   * Checks the chunk's SHA-256 id against the manifest's before opening it. `inPlace` writes the
   * plaintext over the chunk's ciphertext (no new buffer), for a caller that keeps only the
   * plaintext; otherwise the plaintext is a new buffer of its own.
   */
  openChunk: {
    args: ChunkContext & { chunk: ArrayBuffer; expectedId: string; inPlace: boolean };
    /**
     * The chunk's buffer comes back: a caller that keeps the sealed bytes (a peer cache) needs no
     * copy, one that opened in place finds the plaintext in it.
     */
    result: { plaintext: Uint8Array<ArrayBuffer>; chunk: ArrayBuffer };
  };
}

export interface ChunkContext {
  contentKey: Uint8Array;
  nodeId: string;
  revision: number;
  count: number;
  index: number;
}

export type CryptoOp = keyof CryptoOps;

export interface CryptoRequest<K extends CryptoOp = CryptoOp> {
  id: number;
  op: K;
  args: CryptoOps[K]['args'];
}

export type CryptoResponse =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: CryptoFailure };

/** Why an operation failed in the worker, as a value that survives structured cloning. */
export type CryptoFailure =
  | { kind: 'integrity' }
  | { kind: 'weak-kdf' }
  /** Anything else (a malformed argument, a bug): its message, for the fallback. */
  | { kind: 'failed'; message: string };

/** The worker's side: core's errors by class, anything else by its message. */
export function cryptoFailure(error: unknown): CryptoFailure {
  if (error instanceof IntegrityError) return { kind: 'integrity' };
  if (error instanceof WeakKdfError) return { kind: 'weak-kdf' };
  return { kind: 'failed', message: error instanceof Error ? error.message : String(error) };
}
