import {
  asServiceFailure,
  ForbiddenError,
  services,
  SessionRefusedError,
  type SessionInfo,
} from '../../services';
import { announcer } from './announcer.svelte';
import type { Message, Shown } from './messages';
import { connectivity } from './connectivity.svelte';
import { drive } from '../drive/drive.svelte';
import { transfers } from '../drive/transfers.svelte';

transfers.onFinish(({ kind, name, state }) => {
  if (state === 'done' || state === 'failed' || state === 'cancelled')
    announcer.say({ key: 'transfer.ended', params: { kind, name, state } });
});

// The server refuses credentials alike whether or not the account exists: SessionRefusedError
// (401) when opening a session, ForbiddenError (403) when a signed-in person's current password
// does not match. Each attempt says it in its own words.
interface Refusal {
  error: typeof SessionRefusedError | typeof ForbiddenError;
  message: Message;
}

// Which screen the app shows follows from here: 'starting' while a saved session is restored,
// 'recovery-key' right after sign-up until the person confirms they saved the key.
export type SessionStatus = 'starting' | 'signed-out' | 'recovery-key' | 'signed-in';

class Session {
  status = $state<SessionStatus>('starting');
  info = $state<SessionInfo | null>(null);
  /** Shown once after sign-up; cleared as soon as the person continues. */
  recoveryKey = $state<string | null>(null);
  busy = $state(false);
  error = $state<Shown | null>(null);

  async start(): Promise<void> {
    try {
      this.#enter(await services.resume());
    } catch (error) {
      // The saved session could not be opened (offline, server down): say why on the log-in screen.
      this.#enter(null);
      this.error = asServiceFailure(error);
    }
  }

  // The sign-up itself answers alike whether or not it made the account; the log-in right after
  // it is refused when it did not, which only the person who chose the password sees.
  signUp(email: string, password: string): Promise<boolean> {
    return this.#attempt(
      async () => {
        const { session, recoveryKey } = await services.signUp(email, password);
        this.info = session;
        this.recoveryKey = recoveryKey;
        this.#setStatus('recovery-key');
      },
      { error: SessionRefusedError, message: { key: 'session.email-may-have-account' } },
    );
  }

  logIn(email: string, password: string): Promise<boolean> {
    return this.#attempt(async () => this.#enter(await services.logIn(email, password)), {
      error: SessionRefusedError,
      message: { key: 'session.wrong-email-or-password' },
    });
  }

  recover(email: string, recoveryKey: string, newPassword: string): Promise<boolean> {
    return this.#attempt(
      async () => this.#enter(await services.recover(email, recoveryKey, newPassword)),
      { error: SessionRefusedError, message: { key: 'session.wrong-recovery-key' } },
    );
  }

  changePassword(currentPassword: string, newPassword: string): Promise<boolean> {
    return this.#attempt(() => services.changePassword(currentPassword, newPassword), {
      error: ForbiddenError,
      message: { key: 'session.wrong-current-password' },
    });
  }

  confirmRecoveryKeySaved(): void {
    this.recoveryKey = null;
    this.#setStatus('signed-in');
  }

  async logOut(): Promise<void> {
    try {
      await services.logOut();
    } catch {
      // services already tolerates an unreachable server; whatever else fails, the screen
      // must still leave the drive.
    }
    this.error = null;
    this.#enter(null);
  }

  clearError(): void {
    this.error = null;
  }

  #enter(info: SessionInfo | null): void {
    this.info = info;
    this.#setStatus(info ? 'signed-in' : 'signed-out');
  }

  // The drive and the transfer feed live exactly as long as a signed-in session.
  #setStatus(status: SessionStatus): void {
    const wasIn = this.status === 'signed-in';
    this.status = status;
    if (status === 'signed-in' && !wasIn) {
      transfers.start();
      connectivity.start();
      drive.start();
    } else if (status !== 'signed-in' && wasIn) {
      drive.stop();
      connectivity.stop();
      transfers.stop();
    }
  }

  /** `refused` replaces the server's wording when it turns the credentials down. */
  async #attempt(action: () => Promise<void>, refused?: Refusal): Promise<boolean> {
    this.busy = true;
    this.error = null;
    try {
      await action();
      return true;
    } catch (error) {
      this.error =
        refused && error instanceof refused.error ? refused.message : asServiceFailure(error);
      return false;
    } finally {
      this.busy = false;
    }
  }
}

export const session = new Session();
