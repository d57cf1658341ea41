import { EmailError, normaliseEmail } from '@coffre/core/format';
import type {
  Account,
  PasswordChangeRequest,
  PreloginResponse,
  SessionResponse,
  SignupRequest,
  Usage,
} from '@coffre/core/protocol';
import { ApiError, badRequest } from '../api-error';
import type { Db } from '../db/database';
import { GroupCommit } from '../db/group-commit';
import type { Repositories } from '../repositories';
import type { AccountRow } from '../repositories/accounts.repository';
import { sameHash, sha256 } from './hashing';
import { MadeUpPrelogins } from './made-up-prelogins';
import type { Quotas } from './quotas.service';
import type { Session, Sessions } from './sessions.service';
import type { TransferMeter } from './transfer-meter.service';

/** The email rule of core/format as a route answers it: 400, naming what is wrong. */
function emailOf(raw: string): string {
  try {
    return normaliseEmail(raw);
  } catch (error) {
    if (error instanceof EmailError) throw badRequest(`invalid email address: ${error.reason}`);
    throw error;
  }
}

const invalidCredentials = () => new ApiError('unauthorized', 'invalid credentials');

/** Compared against when the email is unknown, so both paths do the same work. */
const NO_ACCOUNT_HASH = sha256('no such account');

/** Sign-up, log-in, recovery and password change; every account answer carries its usage. */
export class Accounts {
  private readonly writes: GroupCommit;
  private readonly madeUp: MadeUpPrelogins;

  constructor(
    private readonly db: Db,
    private readonly repositories: Pick<Repositories, 'accounts' | 'nodes'>,
    private readonly sessions: Sessions,
    private readonly transferMeter: TransferMeter,
    private readonly quotas: Quotas,
    secret: Buffer,
    private readonly now: () => number,
  ) {
    this.writes = new GroupCommit(db);
    this.madeUp = new MadeUpPrelogins(secret);
  }

  /**
   * KDF parameters for an email. An unknown email gets made-up ones, stable across calls, so the
   * answer does not tell whether the account exists.
   */
  async prelogin(rawEmail: string): Promise<PreloginResponse> {
    const email = emailOf(rawEmail);
    const madeUp = this.madeUp.answer(email);
    const row = await this.repositories.accounts.findByEmail(email);
    return row ? { userId: row.user_id, kdf: kdfOf(row) } : madeUp;
  }

  /**
   * Makes the account when its email, user id and root id are free and the user id is not one
   * pre-login made up; otherwise stores nothing. Either way the same statements run and nothing
   * is told: the log-in that follows shows the client which it was (protocol.md §3).
   */
  async signup(request: SignupRequest): Promise<void> {
    const email = emailOf(request.email);
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
    const claimable = !this.madeUp.madeUp(row.user_id);
    const root = { id: row.root_id, ownerId: row.user_id, createdAt: row.created_at };
    await this.writes.run(async (trx) => {
      // Both inserts decide in their own statements, with no look-up before them: the account's
      // when all is free, the root's when that account now names it.
      const created = await this.repositories.accounts.create(row, claimable, trx);
      const rooted = await this.repositories.nodes.insertRoot(root, trx);
      // Apart only if another request took the root id between the two: undone, and run again
      // alone by the group commit, when the account's insert sees the node and makes nothing.
      if (created !== rooted) throw new Error('the root id was taken during the sign-up');
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
    const email = emailOf(rawEmail);
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
