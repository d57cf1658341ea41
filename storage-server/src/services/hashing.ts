import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** SHA-256 of a base64url value's text, base64url: how auth keys and tokens are stored. */
export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}

export function hmac(secret: Buffer, label: string, message: string): Buffer {
  return createHmac('sha256', secret).update(`${label}|${message}`, 'utf8').digest();
}

/** 16 random bytes, base64url: the id form of format.md §1. */
export function randomId(): string {
  return randomBytes(16).toString('base64url');
}

/** 32 random bytes, base64url: a bearer token. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Compares two stored hashes in constant time. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
