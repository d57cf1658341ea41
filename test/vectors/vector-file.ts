// Shape of vectors.json (see README.md). Binary values are base64url without padding.
import type { AccountBundle, KdfParams, NodeMeta, NodeType } from '@coffre/core/crypto';

export type ErrorName = 'IntegrityError' | 'FormatError' | 'WeakKdfError';

/** One named failure: the operation, its inputs, and the error class it must throw. */
export type Failure = { name: string; error: ErrorName } & (
  | { op: 'fromBase64Url'; text: string }
  | { op: 'assertId'; id: string }
  | { op: 'chunkCount'; size: number }
  | { op: 'validateName'; text: string }
  | { op: 'recoveryAuthKey'; text: string }
  | { op: 'derivePasswordKeys'; password: string; params: KdfParams }
  | { op: 'openSealed'; key: string; ad: string; sealed: string; maxBytes: number }
  | { op: 'openAccount'; userId: string; encKey: string; bundle: AccountBundle }
  | { op: 'openAccountWithRecovery'; userId: string; recoveryKey: string; bundle: AccountBundle }
  | { op: 'openNode'; parentId: string; parentKey: string; node: SealedNodeVector }
  | { op: 'openContentKey'; nodeId: string; nodeKey: string; revision: number; wrapped: string }
  | {
      op: 'openChunk';
      contentKey: string;
      nodeId: string;
      revision: number;
      count: number;
      index: number;
      expectedIds?: string[];
      /** The chunk bytes, or a chunk of the named file (regenerated), or zeros of a length. */
      chunk:
        { bytes: string } | { file: string; index: number; truncate?: number } | { zeros: number };
    }
  | { op: 'parseLinkFragment'; text: string }
  | {
      op: 'openLink';
      linkKey: string;
      linkId: string;
      nodeId: string;
      type: NodeType;
      wrappedKey: string;
      kdf: KdfParams | null;
      password: string | null;
    }
  | { op: 'openOwnerLinkKey'; userId: string; masterKey: string; linkId: string; ownerKey: string }
  | {
      op: 'openManifest';
      sealed: string;
      contentKey: string;
      nodeId: string;
      revision: number;
      signer?: string;
    }
);

export interface SealedNodeVector {
  id: string;
  type: NodeType;
  wrappedKey: string;
  encMeta: string;
}

export interface VectorFile {
  description: string;
  base64url: { hex: string; text: string }[];
  associatedData: { purpose: string; fields: (string | number)[]; text: string }[];
  subkeys: { name: string; key: string; context: string; id: number; subkey: string }[];
  /** Every sealed purpose, opened with the low-level layout: version ‖ nonce ‖ ciphertext ‖ tag. */
  sealed: {
    purpose: string;
    key: string;
    ad: string;
    nonce: string;
    plaintext: string;
    sealed: string;
  }[];
  kdf: { password: string; params: KdfParams; encKey: string; authKey: string };
  account: {
    seed: string;
    userId: string;
    encKey: string;
    recoveryKey: string;
    recoveryAuthKey: string;
    keys: Record<string, string>;
    bundle: AccountBundle;
  };
  nodes: {
    seed: string;
    parentId: string;
    parentKey: string;
    created: (SealedNodeVector & { meta: NodeMeta; key: string })[];
  };
  files: {
    name: string;
    seed: string;
    plaintextSeed: string;
    size: number;
    nodeId: string;
    nodeKey: string;
    revision: number;
    signSeed: string;
    signPublicKey: string;
    contentKey: string;
    wrappedContentKey: string;
    commitment: string;
    /** Whole chunks are stored only when small; large ones are checked by id (SHA-256). */
    chunks: {
      index: number;
      length: number;
      id: string;
      nonce: string;
      tag: string;
      sealed?: string;
    }[];
    manifest: string;
    manifestBody: string;
  }[];
  /** Links made with the account above: one to the folder, one (with a password) to a file. */
  links: {
    origin: string;
    userId: string;
    masterKey: string;
    signPublicKey: string;
    created: {
      name: string;
      seed: string;
      linkId: string;
      nodeId: string;
      type: NodeType;
      nodeKey: string;
      password: string | null;
      linkKey: string;
      kdf: KdfParams | null;
      /** P, the 32-byte Argon2id output (password links only). */
      passwordHash: string | null;
      /** K, the key that seals the wrapped key. */
      wrapKey: string;
      wrappedKey: string;
      ownerKey: string;
      url: string;
    }[];
  };
  failures: Failure[];
}
