import { ApiError } from '../api-error';
import type { Db } from '../db/database';
import type { Repositories } from '../repositories';
import { randomToken, sha256 } from './hashing';

export interface Session {
  userId: string;
  tokenHash: string;
}

/** Refreshing last use at most this often keeps reads from turning into writes. */
const TOUCH_INTERVAL_MS = 60_000;

const unauthorized = () => new ApiError('unauthorized', 'not signed in');

export class Sessions {
  constructor(
    private readonly repositories: Pick<Repositories, 'sessions'>,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** Opens a session; only the token's hash is stored. */
  async open(userId: string, db?: Db): Promise<string> {
    const token = randomToken();
    const now = this.now();
    await this.repositories.sessions.insert(
      { token_hash: sha256(token), user_id: userId, created_at: now, last_used_at: now },
      db,
    );
    return token;
  }

  /** The session of an `Authorization: Bearer` header, or 401. */
  async authenticate(header: string | undefined): Promise<Session> {
    const match = /^Bearer ([A-Za-z0-9_-]{43})$/.exec(header ?? '');
    if (!match?.[1]) throw unauthorized();
    const tokenHash = sha256(match[1]);
    const row = await this.repositories.sessions.find(tokenHash);
    if (!row) throw unauthorized();
    const now = this.now();
    if (row.last_used_at + this.ttlMs <= now) {
      await this.close(tokenHash);
      throw unauthorized();
    }
    if (now - row.last_used_at > TOUCH_INTERVAL_MS)
      await this.repositories.sessions.touch(tokenHash, now);
    return { userId: row.user_id, tokenHash };
  }

  async close(tokenHash: string): Promise<void> {
    await this.repositories.sessions.delete(tokenHash);
  }

  /** Ends every session of the account except `keep`. */
  async closeOthers(userId: string, keep: string, db?: Db): Promise<void> {
    await this.repositories.sessions.deleteOthers(userId, keep, db);
  }
}
