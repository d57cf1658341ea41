import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorBody, PreloginResponse, SessionResponse } from '@coffre/core/protocol';
import { migrations } from '../../storage-server/src/db/migrations';
import type { Database } from '../../storage-server/src/db/schema';
import {
  call,
  newId,
  randomB64,
  signupRequest,
  startServer,
  TEST_DATABASE,
  type TestServer,
} from './harness';
import { createTestDatabase } from './postgres-databases';

// The email rule on a real server (protocol.md §3, "Email addresses"): the spellings of one
// address are one account, and an address that hides a character or mixes scripts is refused on
// every route with nothing stored.

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

const post = <T>(route: string, json: unknown) =>
  call<T>(server, 'POST', `/api/v1/auth/${route}`, { json });
const login = (email: string, authKey: string) =>
  post<SessionResponse>('login', { email, authKey });

/** A local part of its own per test, so the runs do not meet. */
const tag = () =>
  randomB64(6)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, 'x');

describe('one account per address', () => {
  it('takes NFD and NFC, any case and fullwidth forms of an address as the one account', async () => {
    const who = tag();
    const nfc = `ren\u00e9-${who}@example.org`;
    const spellings = [
      `rene\u0301-${who}@example.org`, // NFD: e and a combining acute
      `REN\u00c9-${who.toUpperCase()}@EXAMPLE.ORG`,
      `ren\u00e9-${who}\uff20\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.org`, // fullwidth @example
      `  ren\u00e9-${who}@example.org\u3000`,
    ];
    const first = signupRequest(nfc);
    expect((await post('signup', first)).status).toBe(202);
    const made = await login(nfc, first.authKey);
    expect(made.status).toBe(200);
    expect(made.body.account.email).toBe(nfc);
    const kdf = await post<PreloginResponse>('prelogin', { email: nfc });

    for (const spelling of spellings) {
      // The same account, its pre-login and its log-in, whichever spelling is typed.
      expect((await post<PreloginResponse>('prelogin', { email: spelling })).body).toEqual(
        kdf.body,
      );
      const session = await login(spelling, first.authKey);
      expect({ spelling, userId: session.body.account.userId }).toEqual({
        spelling,
        userId: first.userId,
      });
      // And no second account for it: the sign-up answers alike and makes nothing.
      const again = signupRequest(spelling);
      expect((await post('signup', again)).status).toBe(202);
      expect((await login(spelling, again.authKey)).status).toBe(401);
    }
  });

  it('takes a domain in Punycode and in Unicode as the one account', async () => {
    const local = `ivan-${tag()}`;
    const request = signupRequest(`${local}@xn--e1afmkfd.xn--p1ai`);
    expect((await post('signup', request)).status).toBe(202);
    const session = await login(
      `${local}@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444`,
      request.authKey,
    );
    expect(session.status).toBe(200);
    expect(session.body.account.email).toBe(`${local}@пример.рф`);
  });
});

describe('addresses that hide a character or mix scripts', () => {
  const refused: Record<string, (who: string) => string> = {
    'a zero-width space': (who) => `al\u200bice-${who}@example.org`,
    'a zero-width joiner': (who) => `alice-${who}\u200d@example.org`,
    'a right-to-left override': (who) => `alice-${who}\u202egro.elpmaxe@example.org`,
    'a soft hyphen': (who) => `ali\u00adce-${who}@example.org`,
    'a variation selector': (who) => `alice-${who}\ufe0f@example.org`,
    'a Hangul filler': (who) => `alice-${who}\u3164@example.org`,
    'a space inside': (who) => `alice ${who}@example.org`,
    'a Cyrillic а among Latin letters': (who) => `\u0430lice-${who}@example.org`,
    'a Greek ο among Latin letters': (who) => `b\u03bfb-${who}@example.org`,
    'a Cyrillic е in the domain': (who) => `alice-${who}@\u0435xample.org`,
  };
  const reasons = ['invisible', 'mixed-script'];

  it('are refused with 400 on every route, and nothing is stored', async () => {
    for (const [name, address] of Object.entries(refused)) {
      const who = tag();
      const email = address(who);
      const request = { ...signupRequest(email), userId: newId() };
      for (const [route, json] of [
        ['signup', request],
        ['prelogin', { email }],
        ['login', { email, authKey: request.authKey }],
        ['recover', { email, recoveryAuthKey: request.recoveryAuthKey }],
      ] as const) {
        const reply = await post<ErrorBody>(route, json);
        expect({ name, route, status: reply.status }).toEqual({ name, route, status: 400 });
        expect(reply.body.error.code).toBe('bad_request');
        const reason = /invalid email address: (.+)$/.exec(reply.body.error.message)?.[1];
        expect(reasons).toContain(reason);
      }
      // Nothing of the refused attempt was kept: its user id and root id make an account now.
      const clean = { ...request, email: `alice-${who}@example.org` };
      expect((await post('signup', clean)).status).toBe(202);
      expect({ name, status: (await login(clean.email, clean.authKey)).status }).toEqual({
        name,
        status: 200,
      });
    }
  });
});

describe('migration 0007', () => {
  const NAME = '0007_normal_emails';
  let dir: string;
  let db: Kysely<Database>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'coffre-it-'));
    db = new Kysely<Database>({
      dialect:
        TEST_DATABASE === 'postgres'
          ? new PostgresDialect({
              pool: new pg.Pool({ connectionString: await createTestDatabase(), max: 2 }),
            })
          : new SqliteDialect({ database: new BetterSqlite3(path.join(dir, 'coffre.sqlite')) }),
    });
  });
  afterAll(async () => {
    await db.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('rewrites stored addresses to their normal form, oldest first, and leaves the rest', async () => {
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    const names = Object.keys(migrations);
    const before = names[names.indexOf(NAME) - 1]!;
    expect((await migrator.migrateTo(before)).error).toBeUndefined();

    // As the earlier rule stored them: trimmed and lower-cased, nothing more.
    const stored = [
      'zoe\u0301@example.org', // NFD
      '\uff4d\uff41\uff58@example.org', // fullwidth, but "max" is another account's already
      'max@example.org',
      '\uff4a\uff4f@example.org', // fullwidth "jo", the older of two
      'j\uff4f@example.org', // half fullwidth "jo", the younger
      '\u0430lice@example.org', // mixed scripts: refused by the rule
      'al\u200bice@example.org', // invisible: refused by the rule
      'plain@example.org',
    ];
    for (const [i, email] of stored.entries()) {
      await db
        .insertInto('accounts')
        .values({
          user_id: newId(),
          email,
          kdf_salt: randomB64(16),
          kdf_opslimit: 3,
          kdf_memlimit: 64 * 1024 * 1024,
          auth_hash: randomB64(32),
          recovery_auth_hash: randomB64(32),
          wrapped_master_key: 'k',
          wrapped_master_key_recovery: 'k',
          sign_public_key: 'k',
          box_public_key: 'k',
          wrapped_sign_secret_key: 'k',
          wrapped_box_secret_key: 'k',
          root_id: newId(),
          wrapped_root_key: 'k',
          storage_used: 0,
          plan_id: null,
          created_at: i,
        })
        .execute();
    }
    expect((await migrator.migrateToLatest()).error).toBeUndefined();

    const rows = await db.selectFrom('accounts').select('email').orderBy('created_at').execute();
    expect(rows.map((row) => row.email)).toEqual([
      'zo\u00e9@example.org',
      '\uff4d\uff41\uff58@example.org',
      'max@example.org',
      'jo@example.org',
      'j\uff4f@example.org',
      '\u0430lice@example.org',
      'al\u200bice@example.org',
      'plain@example.org',
    ]);
  });
});
