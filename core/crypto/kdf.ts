import { FormatError, KDF_LIMITS, fromBase64Url, toBase64Url } from '../format';
import { WeakKdfError } from './errors';
import { randomBytes } from './random';
import { sodium } from './sodium';

export interface KdfParams {
  alg: 'argon2id13';
  salt: string;
  opslimit: number;
  memlimit: number;
}

/** The weakest parameters the client accepts from a server, and the sign-up defaults (R14). */
export const KDF_FLOOR = {
  alg: 'argon2id13',
  opslimit: KDF_LIMITS.minOpslimit,
  memlimit: KDF_LIMITS.minMemlimit,
} as const;

export function newKdfParams(): KdfParams {
  return {
    alg: KDF_FLOOR.alg,
    salt: toBase64Url(randomBytes(KDF_LIMITS.saltBytes)),
    opslimit: KDF_FLOOR.opslimit,
    memlimit: KDF_FLOOR.memlimit,
  };
}

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/**
 * Refuses, before any hashing: an unknown algorithm or parameters under the floor (WeakKdfError,
 * a downgrade attempt), and malformed values or parameters over the ceiling (FormatError, which
 * would only make the client hang or run out of memory).
 */
export function checkKdfParams(params: KdfParams): Uint8Array {
  if (params === null || typeof params !== 'object' || params.alg !== 'argon2id13') {
    throw new WeakKdfError('unsupported password hashing algorithm');
  }
  const { opslimit, memlimit } = params;
  if (!isInteger(opslimit) || !isInteger(memlimit)) {
    throw new FormatError('password hashing limits must be integers');
  }
  if (opslimit < KDF_LIMITS.minOpslimit || memlimit < KDF_LIMITS.minMemlimit) {
    throw new WeakKdfError('password hashing parameters are below the accepted minimum');
  }
  if (opslimit > KDF_LIMITS.maxOpslimit || memlimit > KDF_LIMITS.maxMemlimit) {
    throw new FormatError('password hashing parameters are above the accepted maximum');
  }
  const salt = fromBase64Url(params.salt);
  if (salt.length !== KDF_LIMITS.saltBytes) throw new FormatError('salt must be 16 bytes');
  return salt;
}

const encoder = new TextEncoder();

/**
 * Argon2id of the password's UTF-8 NFC form, so the same password typed on different systems
 * gives the same bytes; the parameters are checked first. Login and link passwords both use it.
 */
export function hashPassword(password: string, params: KdfParams, length: number): Uint8Array {
  const salt = checkKdfParams(params);
  if (typeof password !== 'string') throw new FormatError('password must be a string');
  const s = sodium();
  return s.crypto_pwhash(
    length,
    encoder.encode(password.normalize('NFC')),
    salt,
    params.opslimit,
    params.memlimit,
    s.crypto_pwhash_ALG_ARGON2ID13,
  );
}

/**
 * Argon2id → 64 bytes: encKey (first 32) wraps the master key and never leaves the device;
 * authKey (last 32) is what the server sees (it stores its SHA-256).
 */
export function derivePasswordKeys(
  password: string,
  params: KdfParams,
): { encKey: Uint8Array; authKey: Uint8Array } {
  const out = hashPassword(password, params, 64);
  return { encKey: out.slice(0, 32), authKey: out.slice(32, 64) };
}
