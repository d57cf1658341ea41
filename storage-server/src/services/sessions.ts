import { ApiError } from '../api-error';
import type { Insertable } from 'kysely';
import { compileOnce, type CompiledRunner } from '../db/compiled-query';
import type { Db } from '../db/database';
import type { SessionsTable } from '../db/schema';
import { randomToken, sha256 } from './hashing';

export interface Session {
  userId: string;
  tokenHash: string;
}

/** Refreshing last use at most this often keeps reads from turning into writes. */
const TOUCH_INTERVAL_MS = 60_000;

const unauthorized = () => new ApiError('unauthorized', 'not signed in');

export class Sessions {
  /** Compiled once: every sign-up and log-in runs it. */
  private readonly insert: CompiledRunner<Insertable<SessionsTable>, unknown>;

  constructor(
    private readonly db: Db,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {
    this.insert = compileOnce(db, (db, p: Insertable<SessionsTable>) =>
      db.insertInto('sessions').values({
        token_hash: p.token_hash,
        user_id: p.user_id,
        created_at: p.created_at,
        last_used_at: p.last_used_at,
      }),
    );
  }

  /** Opens a session; only the token's hash is stored. */
  async open(userId: string, db: Db = this.db): Promise<string> {
    const token = randomToken();
    const now = this.now();
    await this.insert(db, {
      token_hash: sha256(token),
      user_id: userId,
      created_at: now,
      last_used_at: now,
    });
    return token;
  }

  /** The session of an `Authorization: Bearer` header, or 401. */
  async authenticate(header: string | undefined): Promise<Session> {
    const match = /^Bearer ([A-Za-z0-9_-]{43})$/.exec(header ?? '');
    if (!match?.[1]) throw unauthorized();
    const tokenHash = sha256(match[1]);
    const row = await this.db
      .selectFrom('sessions')
      .select(['user_id', 'last_used_at'])
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    if (!row) throw unauthorized();
    const now = this.now();
    if (row.last_used_at + this.ttlMs <= now) {
      await this.close(tokenHash);
      throw unauthorized();
    }
    if (now - row.last_used_at > TOUCH_INTERVAL_MS) {
      await this.db
        .updateTable('sessions')
        .set({ last_used_at: now })
        .where('token_hash', '=', tokenHash)
        .execute();
    }
    return { userId: row.user_id, tokenHash };
  }

  async close(tokenHash: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
  }

  /** Ends every session of the account except `keep`. */
  async closeOthers(userId: string, keep: string, db: Db = this.db): Promise<void> {
    await db
      .deleteFrom('sessions')
      .where('user_id', '=', userId)
      .where('token_hash', '!=', keep)
      .execute();
  }
}
