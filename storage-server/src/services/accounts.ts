import type { Selectable } from 'kysely';
import { toBase64Url } from '@coffre/core/format';
import {
  KDF_DEFAULTS,
  type Account,
  type PasswordChangeRequest,
  type PreloginResponse,
  type SessionResponse,
  type SignupRequest,
  type Usage,
} from '@coffre/core/protocol';
import { ApiError, badRequest, conflict } from '../api-error';
import { compileOnce } from '../db/compiled-query';
import type { Db } from '../db/database';
import { GroupCommit } from '../db/group-commit';
import type { AccountsTable } from '../db/schema';
import { hmac, sameHash, sha256 } from './hashing';
import type { Quotas } from './quotas';
import type { Session, Sessions } from './sessions';
import type { Transfers } from './transfers';

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+$/;
const MAX_EMAIL_LENGTH = 254;

/** Trim and lower-case, then check the form; the stored email is always this normal form. */
export function normaliseEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length > MAX_EMAIL_LENGTH || !EMAIL_PATTERN.test(email)) {
    throw badRequest('invalid email address');
  }
  return email;
}

const invalidCredentials = () => new ApiError('unauthorized', 'invalid credentials');
const taken = () => conflict('an account with these details already exists');

/** Compared against when the email is unknown, so both paths do the same work. */
const NO_ACCOUNT_HASH = sha256('no such account');

type AccountRow = Selectable<AccountsTable>;

/** The queries of sign-up and log-in, compiled once: they run under every flood. */
function accountQueries(db: Db) {
  return {
    findByEmail: compileOnce(db, (db, p: { email: string }) =>
      db.selectFrom('accounts').selectAll().where('email', '=', p.email),
    ),
    /** Inserts nothing when the email, user id or root id is taken. */
    insertAccount: compileOnce(db, (db, p: AccountRow) =>
      db
        .insertInto('accounts')
        .values({
          user_id: p.user_id,
          email: p.email,
          kdf_salt: p.kdf_salt,
          kdf_opslimit: p.kdf_opslimit,
          kdf_memlimit: p.kdf_memlimit,
          auth_hash: p.auth_hash,
          recovery_auth_hash: p.recovery_auth_hash,
          wrapped_master_key: p.wrapped_master_key,
          wrapped_master_key_recovery: p.wrapped_master_key_recovery,
          sign_public_key: p.sign_public_key,
          box_public_key: p.box_public_key,
          wrapped_sign_secret_key: p.wrapped_sign_secret_key,
          wrapped_box_secret_key: p.wrapped_box_secret_key,
          root_id: p.root_id,
          wrapped_root_key: p.wrapped_root_key,
          storage_used: p.storage_used,
          plan_id: p.plan_id,
          created_at: p.created_at,
        })
        .onConflict((oc) => oc.doNothing()),
    ),
    /** Inserts nothing when the id is a node's or an open upload's. */
    insertRoot: compileOnce(db, (db, p: { id: string; ownerId: string; createdAt: number }) =>
      db
        .insertInto('nodes')
        .columns(['id', 'owner_id', 'type', 'created_at'])
        .expression(
          db
            .selectNoFrom((eb) => [
              eb.val(p.id).as('id'),
              eb.val(p.ownerId).as('owner_id'),
              eb.val('folder').as('type'),
              eb.val(p.createdAt).as('created_at'),
            ])
            .where(({ not, exists, selectFrom }) =>
              not(exists(selectFrom('uploads').select('id').where('node_id', '=', p.id))),
            ),
        )
        .onConflict((oc) => oc.doNothing()),
    ),
  };
}

export class Accounts {
  private readonly queries: ReturnType<typeof accountQueries>;
  private readonly writes: GroupCommit;

  constructor(
    private readonly db: Db,
    private readonly sessions: Sessions,
    private readonly transfers: Transfers,
    private readonly quotas: Quotas,
    private readonly secret: Buffer,
    private readonly now: () => number,
  ) {
    this.queries = accountQueries(db);
    this.writes = new GroupCommit(db);
  }

  /**
   * KDF parameters for an email. An unknown email gets a user id and salt derived from the server
   * secret, stable across calls, so the answer does not tell whether the account exists.
   */
  async prelogin(rawEmail: string): Promise<PreloginResponse> {
    const email = normaliseEmail(rawEmail);
    const fakeUserId = toBase64Url(hmac(this.secret, 'prelogin-user', email).subarray(0, 16));
    const fakeSalt = toBase64Url(hmac(this.secret, 'prelogin-salt', email).subarray(0, 16));
    const row = await this.findByEmail(email);
    if (!row) {
      return {
        userId: fakeUserId,
        kdf: { alg: 'argon2id13', salt: fakeSalt, ...KDF_DEFAULTS },
      };
    }
    return { userId: row.user_id, kdf: kdfOf(row) };
  }

  async signup(request: SignupRequest): Promise<SessionResponse> {
    const email = normaliseEmail(request.email);
    const { bundle } = request;
    const row: AccountRow = {
      user_id: request.userId,
      email,
      kdf_salt: request.kdf.salt,
      kdf_opslimit: request.kdf.opslimit,
      kdf_memlimit: request.kdf.memlimit,
      auth_hash: sha256(request.authKey),
      recovery_auth_hash: sha256(request.recoveryAuthKey),
      wrapped_master_key: bundle.wrappedMasterKey,
      wrapped_master_key_recovery: bundle.wrappedMasterKeyRecovery,
      sign_public_key: bundle.signPublicKey,
      box_public_key: bundle.boxPublicKey,
      wrapped_sign_secret_key: bundle.wrappedSignSecretKey,
      wrapped_box_secret_key: bundle.wrappedBoxSecretKey,
      root_id: bundle.rootId,
      wrapped_root_key: bundle.wrappedRootKey,
      storage_used: 0,
      plan_id: this.quotas.plans.default.id,
      created_at: this.now(),
    };
    return this.writes.run(async (trx) => {
      // The unique email, user id and root id, and the free node id, decide in the inserts
      // themselves: no separate look-ups. One message whatever collided, so sign-up cannot be
      // used to probe which emails exist beyond the bare fact of a conflict.
      const account = await this.queries.insertAccount(trx, row);
      if (account.numAffectedRows !== 1n) throw taken();
      const root = await this.queries.insertRoot(trx, {
        id: row.root_id,
        ownerId: row.user_id,
        createdAt: row.created_at,
      });
      if (root.numAffectedRows !== 1n) throw taken();
      const token = await this.sessions.open(row.user_id, trx);
      // The row is what was just written: answered without reading it back.
      return { token, account: accountOf(row, this.usageOf(row, 0)) };
    });
  }

  async login(rawEmail: string, authKey: string): Promise<SessionResponse> {
    return this.openWith(rawEmail, (row) => row?.auth_hash, authKey);
  }

  async recover(rawEmail: string, recoveryAuthKey: string): Promise<SessionResponse> {
    return this.openWith(rawEmail, (row) => row?.recovery_auth_hash, recoveryAuthKey);
  }

  async get(userId: string): Promise<Account> {
    const row = await this.db
      .selectFrom('accounts')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return accountOf(row, this.usageOf(row, await this.transfers.used(userId)));
  }

  /** New password: proven by the current auth key or the recovery key; other sessions end. */
  async changePassword(session: Session, request: PasswordChangeRequest): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('accounts')
        .selectAll()
        .where('user_id', '=', session.userId)
        .executeTakeFirstOrThrow();
      const { proof } = request;
      const proven =
        'authKey' in proof
          ? sameHash(sha256(proof.authKey), row.auth_hash)
          : sameHash(sha256(proof.recoveryAuthKey), row.recovery_auth_hash);
      if (!proven) throw new ApiError('forbidden', 'invalid credentials');
      await trx
        .updateTable('accounts')
        .set({
          kdf_salt: request.kdf.salt,
          kdf_opslimit: request.kdf.opslimit,
          kdf_memlimit: request.kdf.memlimit,
          auth_hash: sha256(request.authKey),
          wrapped_master_key: request.wrappedMasterKey,
        })
        .where('user_id', '=', session.userId)
        .execute();
      await this.sessions.closeOthers(session.userId, session.tokenHash, trx);
    });
  }

  private async openWith(
    rawEmail: string,
    storedHash: (row: AccountRow | undefined) => string | undefined,
    key: string,
  ): Promise<SessionResponse> {
    const email = normaliseEmail(rawEmail);
    const row = await this.findByEmail(email);
    // Hash and compare even for an unknown email: same work, same answer.
    const matches = sameHash(sha256(key), storedHash(row) ?? NO_ACCOUNT_HASH);
    if (!row || !matches) throw invalidCredentials();
    const token = await this.writes.run((trx) => this.sessions.open(row.user_id, trx));
    const usage = this.usageOf(row, await this.transfers.used(row.user_id));
    return { token, account: accountOf(row, usage) };
  }

  private usageOf(row: AccountRow, transferUsed: number): Usage {
    const plan = this.quotas.plans.resolve(row.plan_id);
    return {
      storageUsed: row.storage_used,
      storageQuota: plan.storageQuota,
      transferUsed,
      transferQuota: plan.transferQuota,
      transferResetsAt: this.quotas.transferResetsAt(),
      plan: { id: plan.id, name: plan.name },
    };
  }

  private async findByEmail(email: string): Promise<AccountRow | undefined> {
    const { rows } = await this.queries.findByEmail(this.db, { email });
    return rows[0];
  }
}

function kdfOf(row: AccountRow): Account['kdf'] {
  return {
    alg: 'argon2id13',
    salt: row.kdf_salt,
    opslimit: row.kdf_opslimit,
    memlimit: row.kdf_memlimit,
  };
}

function accountOf(row: AccountRow, usage: Usage): Account {
  return {
    userId: row.user_id,
    email: row.email,
    kdf: kdfOf(row),
    bundle: {
      wrappedMasterKey: row.wrapped_master_key,
      wrappedMasterKeyRecovery: row.wrapped_master_key_recovery,
      signPublicKey: row.sign_public_key,
      boxPublicKey: row.box_public_key,
      wrappedSignSecretKey: row.wrapped_sign_secret_key,
      wrappedBoxSecretKey: row.wrapped_box_secret_key,
      rootId: row.root_id,
      wrappedRootKey: row.wrapped_root_key,
    },
    usage,
  };
}
