// Sign-up, log-in, recovery, password change and the session kept on this device.
//
// The server is hostile: every key comes from unwrapping what it sends with a key derived here,
// and when that fails nothing further is sent (R2, R9).
//
// Staying logged in across reloads: this device stores the session token and `encKey` (the
// password-derived key that unwraps the master key) in IndexedDB. On resume the account bundle is
// fetched again and unwrapped with it, so a bundle the server tampered with is still caught, and
// a password change anywhere (which revokes the token and replaces the wrapped master key) ends
// the stored session. What this does NOT protect against: anyone who can read this browser
// profile's storage (malware, someone using the unlocked device, a copy of the disk) can open the
// account until "log out" deletes the record. The password itself is never stored.
//
// Offline start: the key bundle as last verified (ciphertext under encKey and the master key) is
// kept beside the session, so with no network the drive shell, the upload outbox and new uploads
// into the root still work. When the network returns, `revalidate` asks the server as a normal
// start would: a 401 ends the session, a bundle that no longer opens is refused.
import type { AccountBundle, AccountKeys, KdfParams } from '@coffre/core/crypto';
import { EmailError, MIN_PASSWORD_LENGTH, normaliseEmail, toBase64Url } from '@coffre/core/format';
import {
  Account as AccountSchema,
  PreloginResponse,
  ROUTES,
  SessionResponse,
} from '@coffre/core/protocol';
import type { Api } from '../platform/http-client';
import type { SessionInfo } from '../contract';
import type { CryptoPool } from '../platform/crypto-pool';
import { coreCrypto } from '../platform/crypto-main';
import {
  DamagedAccountError,
  InvalidRequestError,
  isIntegrityError,
  NetworkError,
  SessionRefusedError,
} from '../platform/errors';
import { deleteSession, loadSession, saveSession, type StoredSession } from '../platform/local-db';

export interface OpenSession {
  userId: string;
  email: string;
  keys: AccountKeys;
}

export class AccountService {
  private session: OpenSession | null = null;
  private readonly listeners = new Set<(session: OpenSession | null) => void>();

  private readonly endedListeners = new Set<() => void>();
  /** Set during an explicit log-out, whose 401 (token already dead) is not "the server ended it". */
  private loggingOut = false;
  /** The session was opened from this device's copy of the bundle, without the server. */
  private openedOffline = false;

  constructor(
    private readonly api: Api,
    private readonly pool: CryptoPool,
  ) {
    api.onUnauthorized = () => {
      if (!this.session || this.loggingOut) return;
      void this.forget().then(() => {
        for (const listener of this.endedListeners) listener();
      });
    };
  }

  /** Called when the server ends an open session (expired, or the password changed elsewhere). */
  onEnded(listener: () => void): () => void {
    this.endedListeners.add(listener);
    return () => this.endedListeners.delete(listener);
  }

  /** The open session; throws when logged out (a programming error above this layer). */
  current(): OpenSession {
    if (!this.session) throw new InvalidRequestError({ key: 'not-logged-in' });
    return this.session;
  }

  /** Called whenever the session opens or closes (the drive drops its keys). */
  onChange(listener: (session: OpenSession | null) => void): void {
    this.listeners.add(listener);
  }

  async resume(): Promise<SessionInfo | null> {
    const stored = await loadSession();
    if (!stored) return null;
    this.api.setToken(stored.token);
    let account;
    try {
      account = await this.api.json('GET', ROUTES.account, AccountSchema);
    } catch (error) {
      if (error instanceof SessionRefusedError) {
        await this.forget();
        return null;
      }
      if (error instanceof NetworkError && stored.bundle)
        return this.openOffline(stored, stored.bundle);
      this.api.setToken(null);
      throw error;
    }
    if (account.userId !== stored.userId) {
      await this.forget();
      throw new DamagedAccountError();
    }
    const keys = await this.openBundle(() =>
      this.pool.run('openAccount', {
        userId: stored.userId,
        encKey: stored.encKey,
        bundle: account.bundle,
      }),
    );
    await saveSession({ ...stored, bundle: account.bundle });
    return this.open({ userId: stored.userId, email: stored.email, keys });
  }

  /**
   * After an offline start, checks the session with the server once it is reachable: the same
   * checks as an online start. Resolves true when the session stands; false when it ended (the
   * `onEnded` listeners were told). Throws NetworkError while still unreachable.
   */
  async revalidate(): Promise<boolean> {
    const session = this.session;
    if (!session || !this.openedOffline) return session !== null;
    const stored = await loadSession();
    let account;
    try {
      account = await this.api.json('GET', ROUTES.account, AccountSchema);
    } catch (error) {
      // A 401 already ended the session through onUnauthorized.
      if (error instanceof SessionRefusedError) return false;
      throw error;
    }
    try {
      if (!stored || account.userId !== session.userId) throw new DamagedAccountError();
      await this.openBundle(() =>
        this.pool.run('openAccount', {
          userId: session.userId,
          encKey: stored.encKey,
          bundle: account.bundle,
        }),
      );
    } catch (error) {
      console.warn('session refused after an offline start', error);
      await this.forget();
      for (const listener of this.endedListeners) listener();
      return false;
    }
    this.openedOffline = false;
    await saveSession({ ...stored, bundle: account.bundle });
    return true;
  }

  private async openOffline(stored: StoredSession, bundle: AccountBundle): Promise<SessionInfo> {
    const keys = await this.openBundle(() =>
      this.pool.run('openAccount', { userId: stored.userId, encKey: stored.encKey, bundle }),
    );
    this.openedOffline = true;
    return this.open({ userId: stored.userId, email: stored.email, keys });
  }

  /**
   * The sign-up's answer is the same whether or not it made the account (protocol.md §3): the
   * log-in right after tells. Its SessionRefusedError means no account was made for this email,
   * most likely because it has one already.
   */
  async signUp(
    rawEmail: string,
    password: string,
  ): Promise<{ session: SessionInfo; recoveryKey: string }> {
    const email = emailOf(rawEmail);
    checkPassword(password);
    const core = await coreCrypto();
    const userId = newId();
    const kdf = core.newKdfParams();
    const { encKey, authKey } = await this.pool.runIsolated('derivePasswordKeys', {
      password,
      params: kdf,
    });
    const created = await this.pool.run('createAccount', { userId, encKey });
    await this.api.empty('POST', ROUTES.signup, {
      body: {
        email,
        userId,
        kdf,
        authKey: toBase64Url(authKey),
        recoveryAuthKey: toBase64Url(created.recoveryAuthKey),
        bundle: created.bundle,
      },
    });
    const answer = await this.api.json('POST', ROUTES.login, SessionResponse, {
      body: { email, authKey: toBase64Url(authKey) },
    });
    if (answer.account.userId !== userId) throw new DamagedAccountError();
    await this.store(answer.token, userId, answer.account.email, encKey, created.bundle);
    const session = this.open({ userId, email: answer.account.email, keys: created.keys });
    return { session, recoveryKey: created.recoveryKey };
  }

  async logIn(rawEmail: string, password: string): Promise<SessionInfo> {
    const email = emailOf(rawEmail);
    const { userId, kdf } = await this.api.json('POST', ROUTES.prelogin, PreloginResponse, {
      body: { email },
    });
    // core refuses parameters below its floor (WeakKdfError) before hashing anything.
    const { encKey, authKey } = await this.pool.runIsolated('derivePasswordKeys', {
      password,
      params: kdf,
    });
    const answer = await this.api.json('POST', ROUTES.login, SessionResponse, {
      body: { email, authKey: toBase64Url(authKey) },
    });
    if (answer.account.userId !== userId) throw new DamagedAccountError();
    const keys = await this.openBundle(() =>
      this.pool.run('openAccount', { userId, encKey, bundle: answer.account.bundle }),
    );
    await this.store(answer.token, userId, answer.account.email, encKey, answer.account.bundle);
    return this.open({ userId, email: answer.account.email, keys });
  }

  async recover(rawEmail: string, recoveryKey: string, newPassword: string): Promise<SessionInfo> {
    const email = emailOf(rawEmail);
    checkPassword(newPassword);
    const recoveryAuthKey = await this.pool.run('recoveryAuthKey', { recoveryKey });
    const answer = await this.api.json('POST', ROUTES.recover, SessionResponse, {
      body: { email, recoveryAuthKey: toBase64Url(recoveryAuthKey) },
    });
    const { userId } = answer.account;
    const keys = await this.openBundle(() =>
      this.pool.run('openAccountWithRecovery', {
        userId,
        recoveryKey,
        bundle: answer.account.bundle,
      }),
    );
    this.api.setToken(answer.token);
    const { encKey, wrappedMasterKey } = await this.setPassword(userId, keys, newPassword, {
      recoveryAuthKey: toBase64Url(recoveryAuthKey),
    });
    await this.store(answer.token, userId, answer.account.email, encKey, {
      ...answer.account.bundle,
      wrappedMasterKey,
    });
    return this.open({ userId, email: answer.account.email, keys });
  }

  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    checkPassword(newPassword);
    const { userId, email, keys } = this.current();
    const account = await this.api.json('GET', ROUTES.account, AccountSchema);
    const current = await this.pool.runIsolated('derivePasswordKeys', {
      password: currentPassword,
      params: account.kdf,
    });
    // Check the current password locally first: a wrong one fails here, not at the server.
    try {
      await this.pool.run('openAccount', {
        userId,
        encKey: current.encKey,
        bundle: account.bundle,
      });
    } catch (error) {
      if (isIntegrityError(error)) throw new InvalidRequestError({ key: 'wrong-current-password' });
      throw error;
    }
    const { encKey, wrappedMasterKey } = await this.setPassword(userId, keys, newPassword, {
      authKey: toBase64Url(current.authKey),
    });
    const stored = await loadSession();
    if (stored)
      await this.store(stored.token, userId, email, encKey, {
        ...account.bundle,
        wrappedMasterKey,
      });
  }

  async logOut(): Promise<void> {
    this.loggingOut = true;
    try {
      if (this.api.hasToken()) await this.api.empty('POST', ROUTES.logout);
    } catch {
      // Offline or already expired: the local session is wiped regardless.
    } finally {
      this.loggingOut = false;
    }
    await this.forget();
  }

  /** Wraps the master key under a new password and sends it; returns the new encKey and wrap. */
  private async setPassword(
    userId: string,
    keys: AccountKeys,
    password: string,
    proof: { authKey: string } | { recoveryAuthKey: string },
  ): Promise<{ encKey: Uint8Array; wrappedMasterKey: string }> {
    const core = await coreCrypto();
    const kdf: KdfParams = core.newKdfParams();
    const { encKey, authKey } = await this.pool.runIsolated('derivePasswordKeys', {
      password,
      params: kdf,
    });
    const wrappedMasterKey = core.wrapMasterKey(userId, keys.masterKey, encKey);
    await this.api.empty('POST', ROUTES.password, {
      body: { proof, kdf, authKey: toBase64Url(authKey), wrappedMasterKey },
    });
    return { encKey, wrappedMasterKey };
  }

  /** Unwraps account keys; a failure means the server's bundle is damaged and we stop here. */
  private async openBundle(unwrap: () => Promise<AccountKeys>): Promise<AccountKeys> {
    try {
      return await unwrap();
    } catch (error) {
      if (!isIntegrityError(error)) throw error;
      // Drop the token without using it again: nothing further goes to this server (R2).
      this.api.setToken(null);
      await deleteSession();
      throw new DamagedAccountError();
    }
  }

  private async store(
    token: string,
    userId: string,
    email: string,
    encKey: Uint8Array,
    bundle: AccountBundle,
  ): Promise<void> {
    this.api.setToken(token);
    await saveSession({ token, userId, email, encKey, bundle });
  }

  private open(session: OpenSession): SessionInfo {
    this.session = session;
    for (const listener of this.listeners) listener(session);
    return { userId: session.userId, email: session.email };
  }

  private async forget(): Promise<void> {
    this.api.setToken(null);
    const keys = this.session?.keys;
    this.session = null;
    this.openedOffline = false;
    await deleteSession();
    for (const listener of this.listeners) listener(null);
    // Overwrite the secrets this layer held (best effort: the engine may have copied them).
    if (keys)
      for (const key of [keys.masterKey, keys.signSecretKey, keys.boxSecretKey, keys.rootKey])
        key.fill(0);
  }
}

function newId(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
}

/** The address in its normal form, or refused before anything is sent. */
function emailOf(raw: string): string {
  try {
    return normaliseEmail(raw);
  } catch (error) {
    if (error instanceof EmailError)
      throw new InvalidRequestError({ key: 'bad-email', reason: error.reason });
    throw error;
  }
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new InvalidRequestError({ key: 'password-too-short', min: MIN_PASSWORD_LENGTH });
}
