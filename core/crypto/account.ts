import {
  SEALED_OVERHEAD,
  associatedData,
  assertId,
  fromBase64Url,
  isId,
  toBase64Url,
} from '../format';
import { IntegrityError } from './errors';
import { KDF_CONTEXT, KEY_BYTES, assertKey, deriveSubkey, equalBytes } from './primitives';
import { randomBytes, randomId } from './random';
import { formatRecoveryKey, parseRecoveryKey } from './recovery-key';
import { openKey, openText, sealToText } from './sealed';
import { sodium } from './sodium';

/** What the server stores for an account; every field is base64url (rootId is an id). */
export interface AccountBundle {
  wrappedMasterKey: string;
  wrappedMasterKeyRecovery: string;
  signPublicKey: string;
  boxPublicKey: string;
  wrappedSignSecretKey: string;
  wrappedBoxSecretKey: string;
  rootId: string;
  wrappedRootKey: string;
}

export interface AccountKeys {
  userId: string;
  masterKey: Uint8Array;
  signPublicKey: Uint8Array;
  signSecretKey: Uint8Array;
  boxPublicKey: Uint8Array;
  boxSecretKey: Uint8Array;
  rootId: string;
  rootKey: Uint8Array;
}

const SIGN_SECRET_BYTES = 64;

const identityKey = (masterKey: Uint8Array) => deriveSubkey(masterKey, KDF_CONTEXT.identity, 1);
const treeKey = (masterKey: Uint8Array) => deriveSubkey(masterKey, KDF_CONTEXT.tree, 1);
const recoveryEncKey = (recovery: Uint8Array) => deriveSubkey(recovery, KDF_CONTEXT.recovery, 1);

export function wrapMasterKey(userId: string, masterKey: Uint8Array, encKey: Uint8Array): string {
  assertId(userId, 'user id');
  assertKey(masterKey, 'master key');
  assertKey(encKey, 'encryption key');
  return sealToText(encKey, associatedData('master-key', userId), masterKey);
}

/** The key the server checks at recovery (it stores SHA-256 of it); FormatError on bad text. */
export function recoveryAuthKey(recoveryKeyText: string): Uint8Array {
  return deriveSubkey(parseRecoveryKey(recoveryKeyText), KDF_CONTEXT.recovery, 2);
}

/**
 * New account: random master key, identity key pairs and root folder key, all wrapped for the
 * server. The recovery key text is shown to the person once and never stored.
 */
export function createAccount(
  userId: string,
  encKey: Uint8Array,
): { keys: AccountKeys; bundle: AccountBundle; recoveryKey: string; recoveryAuthKey: Uint8Array } {
  assertId(userId, 'user id');
  assertKey(encKey, 'encryption key');
  const s = sodium();
  const masterKey = randomBytes(KEY_BYTES);
  const sign = s.crypto_sign_seed_keypair(randomBytes(32));
  const boxSecretKey = randomBytes(32);
  const boxPublicKey = s.crypto_scalarmult_base(boxSecretKey);
  const rootId = randomId();
  const rootKey = randomBytes(KEY_BYTES);
  const recovery = randomBytes(KEY_BYTES);
  const recoveryKey = formatRecoveryKey(recovery);

  const identity = identityKey(masterKey);
  const bundle: AccountBundle = {
    wrappedMasterKey: wrapMasterKey(userId, masterKey, encKey),
    wrappedMasterKeyRecovery: sealToText(
      recoveryEncKey(recovery),
      associatedData('master-key-recovery', userId),
      masterKey,
    ),
    signPublicKey: toBase64Url(sign.publicKey),
    boxPublicKey: toBase64Url(boxPublicKey),
    wrappedSignSecretKey: sealToText(
      identity,
      associatedData('sign-secret-key', userId),
      sign.privateKey,
    ),
    wrappedBoxSecretKey: sealToText(
      identity,
      associatedData('box-secret-key', userId),
      boxSecretKey,
    ),
    rootId,
    wrappedRootKey: sealToText(
      treeKey(masterKey),
      associatedData('root-key', userId, rootId),
      rootKey,
    ),
  };
  const keys: AccountKeys = {
    userId,
    masterKey,
    signPublicKey: sign.publicKey,
    signSecretKey: sign.privateKey,
    boxPublicKey,
    boxSecretKey,
    rootId,
    rootKey,
  };
  return { keys, bundle, recoveryKey, recoveryAuthKey: recoveryAuthKey(recoveryKey) };
}

/**
 * Unwraps everything below the master key and checks that the public keys the server returned
 * are the ones that belong to the unwrapped secret keys (threat rules R1, R9).
 */
function openBelowMaster(
  userId: string,
  masterKey: Uint8Array,
  bundle: AccountBundle,
): AccountKeys {
  const s = sodium();
  if (!isId(bundle.rootId)) throw new IntegrityError();
  const identity = identityKey(masterKey);
  const signSecretKey = openText(
    identity,
    associatedData('sign-secret-key', userId),
    bundle.wrappedSignSecretKey,
    SIGN_SECRET_BYTES + SEALED_OVERHEAD,
  );
  if (signSecretKey.length !== SIGN_SECRET_BYTES) throw new IntegrityError();
  const boxSecretKey = openKey(
    identity,
    associatedData('box-secret-key', userId),
    bundle.wrappedBoxSecretKey,
  );
  const rootKey = openKey(
    treeKey(masterKey),
    associatedData('root-key', userId, bundle.rootId),
    bundle.wrappedRootKey,
  );
  // Recompute both public keys from the secret keys rather than trusting the server's copies.
  const signPublicKey = s.crypto_sign_seed_keypair(
    s.crypto_sign_ed25519_sk_to_seed(signSecretKey),
  ).publicKey;
  const boxPublicKey = s.crypto_scalarmult_base(boxSecretKey);
  if (
    !equalBytes(signPublicKey, decodeOrFail(bundle.signPublicKey)) ||
    !equalBytes(boxPublicKey, decodeOrFail(bundle.boxPublicKey))
  ) {
    throw new IntegrityError();
  }
  return {
    userId,
    masterKey,
    signPublicKey,
    signSecretKey,
    boxPublicKey,
    boxSecretKey,
    rootId: bundle.rootId,
    rootKey,
  };
}

/** The bundle comes from the server: anything but an object is tampering. */
function assertObject(bundle: unknown): asserts bundle is AccountBundle {
  if (bundle === null || typeof bundle !== 'object') throw new IntegrityError();
}

function decodeOrFail(text: unknown): Uint8Array {
  try {
    return fromBase64Url(text as string);
  } catch {
    throw new IntegrityError();
  }
}

export function openAccount(
  userId: string,
  encKey: Uint8Array,
  bundle: AccountBundle,
): AccountKeys {
  assertId(userId, 'user id');
  assertKey(encKey, 'encryption key');
  assertObject(bundle);
  const masterKey = openKey(encKey, associatedData('master-key', userId), bundle.wrappedMasterKey);
  return openBelowMaster(userId, masterKey, bundle);
}

export function openAccountWithRecovery(
  userId: string,
  recoveryKeyText: string,
  bundle: AccountBundle,
): AccountKeys {
  assertId(userId, 'user id');
  assertObject(bundle);
  const masterKey = openKey(
    recoveryEncKey(parseRecoveryKey(recoveryKeyText)),
    associatedData('master-key-recovery', userId),
    bundle.wrappedMasterKeyRecovery,
  );
  return openBelowMaster(userId, masterKey, bundle);
}
