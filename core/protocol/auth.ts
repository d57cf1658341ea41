import { Type, type Static } from 'typebox';
import { KDF_LIMITS, MAX_EMAIL_LENGTH } from '../format';
import {
  AuthKey,
  Base64UrlExact,
  ByteCount,
  Id,
  PublicKey,
  SealedKey,
  Timestamp,
  Token,
} from './common';
import { PlanRef } from './plans';

/** Sign-up's parameters, the floor (format.md §4.1): an unknown email is answered with them too. */
export const KDF_DEFAULTS = {
  opslimit: KDF_LIMITS.minOpslimit,
  memlimit: KDF_LIMITS.minMemlimit,
} as const;

/** Argon2id parameters within format.md §8's bounds: below the floor is refused at both ends. */
export const Kdf = Type.Object(
  {
    alg: Type.Literal('argon2id13'),
    salt: Base64UrlExact(KDF_LIMITS.saltBytes),
    opslimit: Type.Integer({ minimum: KDF_LIMITS.minOpslimit, maximum: KDF_LIMITS.maxOpslimit }),
    memlimit: Type.Integer({ minimum: KDF_LIMITS.minMemlimit, maximum: KDF_LIMITS.maxMemlimit }),
  },
  { additionalProperties: false },
);
export type Kdf = Static<typeof Kdf>;

/** Bounds what is sent; both ends then apply the email rule, `normaliseEmail` (core/format). */
export const Email = Type.String({ minLength: 3, maxLength: MAX_EMAIL_LENGTH });

/** The account's wrapped keys: opaque to the server, unwrapped only in the browser. */
export const KeyBundle = Type.Object(
  {
    wrappedMasterKey: SealedKey,
    wrappedMasterKeyRecovery: SealedKey,
    signPublicKey: PublicKey,
    boxPublicKey: PublicKey,
    wrappedSignSecretKey: SealedKey,
    wrappedBoxSecretKey: SealedKey,
    rootId: Id,
    wrappedRootKey: SealedKey,
  },
  { additionalProperties: false },
);
export type KeyBundle = Static<typeof KeyBundle>;

export const Usage = Type.Object({
  /** Committed ciphertext (files in the bin included) plus the reservations of open uploads. */
  storageUsed: ByteCount,
  storageQuota: ByteCount,
  /** Chunk bytes served this calendar month (UTC), own downloads and link downloads alike. */
  transferUsed: ByteCount,
  transferQuota: ByteCount,
  /** The first instant of the next calendar month (UTC), when `transferUsed` starts from 0. */
  transferResetsAt: Timestamp,
  plan: PlanRef,
});
export type Usage = Static<typeof Usage>;

export const Account = Type.Object({
  userId: Id,
  email: Email,
  kdf: Kdf,
  bundle: KeyBundle,
  usage: Usage,
});
export type Account = Static<typeof Account>;

export const PreloginRequest = Type.Object({ email: Email }, { additionalProperties: false });
export type PreloginRequest = Static<typeof PreloginRequest>;

export const PreloginResponse = Type.Object({ userId: Id, kdf: Kdf });
export type PreloginResponse = Static<typeof PreloginResponse>;

export const SignupRequest = Type.Object(
  {
    email: Email,
    userId: Id,
    kdf: Kdf,
    authKey: AuthKey,
    recoveryAuthKey: AuthKey,
    bundle: KeyBundle,
  },
  { additionalProperties: false },
);
export type SignupRequest = Static<typeof SignupRequest>;

export const LoginRequest = Type.Object(
  { email: Email, authKey: AuthKey },
  { additionalProperties: false },
);
export type LoginRequest = Static<typeof LoginRequest>;

export const RecoverRequest = Type.Object(
  { email: Email, recoveryAuthKey: AuthKey },
  { additionalProperties: false },
);
export type RecoverRequest = Static<typeof RecoverRequest>;

/** Answer of login and recover (200); sign-up answers 202 with no body (protocol.md §3). */
export const SessionResponse = Type.Object({ token: Token, account: Account });
export type SessionResponse = Static<typeof SessionResponse>;

/** Either the current password's auth key or the recovery auth key proves the change. */
export const PasswordProof = Type.Union([
  Type.Object({ authKey: AuthKey }, { additionalProperties: false }),
  Type.Object({ recoveryAuthKey: AuthKey }, { additionalProperties: false }),
]);
export type PasswordProof = Static<typeof PasswordProof>;

export const PasswordChangeRequest = Type.Object(
  {
    proof: PasswordProof,
    kdf: Kdf,
    authKey: AuthKey,
    wrappedMasterKey: SealedKey,
  },
  { additionalProperties: false },
);
export type PasswordChangeRequest = Static<typeof PasswordChangeRequest>;
