import { timingSafeEqual } from 'node:crypto';
import { toBase64Url } from '@coffre/core/format';
import { KDF_DEFAULTS, type PreloginResponse } from '@coffre/core/protocol';
import { hmac } from './hashing';

/** The keyed half of a made-up user id; the other half is its tag. */
const HEAD_BYTES = 8;

/**
 * Pre-login's answers for an email without an account (protocol.md §3, "Accounts and sessions"):
 * a user id and salt derived from the server secret and the email, stable across calls and
 * restarts, in the shape of a real account's. The id carries a tag of its own first half, so the
 * server knows the ids it made up and sign-up never gives one to an account: reusing the id
 * pre-login gave for someone else's email stores nothing, whether or not that email has an account.
 */
export class MadeUpPrelogins {
  constructor(private readonly secret: Buffer) {}

  answer(email: string): PreloginResponse {
    const head = hmac(this.secret, 'prelogin-user', email).subarray(0, HEAD_BYTES);
    const userId = toBase64Url(Buffer.concat([head, this.tagOf(head)]));
    const salt = toBase64Url(hmac(this.secret, 'prelogin-salt', email).subarray(0, 16));
    return { userId, kdf: { alg: 'argon2id13', salt, ...KDF_DEFAULTS } };
  }

  /** Whether this id (16 bytes, base64url) is one pre-login made up. */
  madeUp(userId: string): boolean {
    const id = Buffer.from(userId, 'base64url');
    if (id.length !== 2 * HEAD_BYTES) return false;
    return timingSafeEqual(id.subarray(HEAD_BYTES), this.tagOf(id.subarray(0, HEAD_BYTES)));
  }

  private tagOf(head: Buffer): Buffer {
    return hmac(this.secret, 'prelogin-user-tag', toBase64Url(head)).subarray(0, HEAD_BYTES);
  }
}
