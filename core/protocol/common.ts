import { type Static, Type } from 'typebox';
import {
  ID_PATTERN,
  MAX_SEALED_KEY,
  MAX_SEALED_META,
  SEALED_OVERHEAD,
  base64UrlLength,
} from '../format';

const BASE64URL_PATTERN = '^[A-Za-z0-9_-]*$';

/** A base64url string of `min`…`max` bytes: binary never travels unbounded (R17). */
export function Base64Url(minBytes: number, maxBytes: number) {
  return Type.String({
    pattern: BASE64URL_PATTERN,
    minLength: base64UrlLength(minBytes),
    maxLength: base64UrlLength(maxBytes),
  });
}

/** A base64url string of exactly `bytes` bytes. */
export function Base64UrlExact(bytes: number) {
  return Base64Url(bytes, bytes);
}

/** 16 random bytes in base64url; user, node and upload ids (format.md §1). */
export const Id = Type.String({ pattern: ID_PATTERN.source, minLength: 22, maxLength: 22 });

export const SealedKey = Base64Url(SEALED_OVERHEAD, MAX_SEALED_KEY);
export const SealedMeta = Base64Url(SEALED_OVERHEAD, MAX_SEALED_META);

export const AuthKey = Base64UrlExact(32);
export const PublicKey = Base64UrlExact(32);
/** SHA-256 of a chunk's ciphertext. */
export const ChunkId = Base64UrlExact(32);
/** Bearer tokens: 32 random bytes. */
export const Token = Base64UrlExact(32);

/** Milliseconds since the Unix epoch. */
export const Timestamp = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
/** Byte counts and sizes. */
export const ByteCount = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export const IdParams = Type.Object({ id: Id }, { additionalProperties: false });

export const HealthResponse = Type.Object({ ok: Type.Literal(true) });

/**
 * Where this deployment's signal server is: an absolute http(s) URL, or `:port` on the host the
 * app was loaded from (the embedded default); null when P2P is not deployed.
 */
export const SIGNAL_URL_PATTERN = '^(:[0-9]{1,5}|https?://[^\\s/?#]+/?)$';
export const ClientConfig = Type.Object({
  signalUrl: Type.Union([
    Type.String({ pattern: SIGNAL_URL_PATTERN, maxLength: 512 }),
    Type.Null(),
  ]),
});
export type ClientConfig = Static<typeof ClientConfig>;
