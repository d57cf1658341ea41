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
import type { Db } from '../db/database';
import { GroupCommit } from '../db/group-commit';
import type { Repositories } from '../repositories';
import type { AccountRow } from '../repositories/accounts.repository';
import { hmac, sameHash, sha256 } from './hashing';
import type { Quotas } from './quotas.service';
import type { Session, Sessions } from './sessions.service';
import type { TransferMeter } from './transfer-meter.service';

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

/** Sign-up, log-in, recovery and password change; every account answer carries its usage. */
export class Accounts {
  private readonly writes: GroupCommit;

  constructor(
    private readonly db: Db,
    private readonly repositories: Pick<Repositories, 'accounts' | 'nodes'>,
    private readonly sessions: Sessions,
    private readonly transferMeter: TransferMeter,
    private readonly quotas: Quotas,
    private readonly secret: Buffer,
    private readonly now: () => number,
  ) {
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
    const row = await this.repositories.accounts.findByEmail(email);
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
      if (!(await this.repositories.accounts.insert(row, trx))) throw taken();
      const root = { id: row.root_id, ownerId: row.user_id, createdAt: row.created_at };
      if (!(await this.repositories.nodes.insertRoot(root, trx))) throw taken();
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
    const row = await this.repositories.accounts.get(userId);
    return accountOf(row, this.usageOf(row, await this.transferMeter.used(userId)));
  }

  /** New password: proven by the current auth key or the recovery key; other sessions end. */
  async changePassword(session: Session, request: PasswordChangeRequest): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const row = await this.repositories.accounts.get(session.userId, trx);
      const { proof } = request;
      const proven =
        'authKey' in proof
          ? sameHash(sha256(proof.authKey), row.auth_hash)
          : sameHash(sha256(proof.recoveryAuthKey), row.recovery_auth_hash);
      if (!proven) throw new ApiError('forbidden', 'invalid credentials');
      const credentials = {
        kdf_salt: request.kdf.salt,
        kdf_opslimit: request.kdf.opslimit,
        kdf_memlimit: request.kdf.memlimit,
        auth_hash: sha256(request.authKey),
        wrapped_master_key: request.wrappedMasterKey,
      };
      await this.repositories.accounts.setCredentials(session.userId, credentials, trx);
      await this.sessions.closeOthers(session.userId, session.tokenHash, trx);
    });
  }

  private async openWith(
    rawEmail: string,
    storedHash: (row: AccountRow | undefined) => string | undefined,
    key: string,
  ): Promise<SessionResponse> {
    const email = normaliseEmail(rawEmail);
    const row = await this.repositories.accounts.findByEmail(email);
    // Hash and compare even for an unknown email: same work, same answer.
    const matches = sameHash(sha256(key), storedHash(row) ?? NO_ACCOUNT_HASH);
    if (!row || !matches) throw invalidCredentials();
    const token = await this.writes.run((trx) => this.sessions.open(row.user_id, trx));
    const usage = this.usageOf(row, await this.transferMeter.used(row.user_id));
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
