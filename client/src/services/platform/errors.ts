// The failures the services raise, as typed values: state/ tells them apart by class or by
// `kind`, and ui/ words them through its message catalogue (ui/lib/messages.ts). They carry
// figures and reasons, not sentences; the one sentence kept is the server's own (an error
// envelope's `message`), which the catalogue shows for the codes it has no words of its own for.
// Where a failure must outlive its class (a transfer's snapshot, an outbox row), `failureValue`
// gives it as plain data (contract's FailureValue).
import type { ErrorDetails } from '@coffre/core/protocol';
import type {
  BrowserFailure,
  DirectFailure,
  DirectRole,
  FailureValue,
  LinkErrorReason,
  Refusal,
} from '../contract';
import { coreFailure } from './crypto-main';

/** Every typed failure; `asServiceFailure` turns anything thrown into one of these. */
export type ServiceFailure =
  | SessionRefusedError
  | ForbiddenError
  | NotFoundError
  | RateLimitedError
  | QuotaRefusedError
  | BadAnswerError
  | ServerError
  | NetworkError
  | IntegrityFailedError
  | WeakKdfRefusedError
  | DamagedAccountError
  | InvalidRequestError
  | LinkError
  | DirectTransferError
  | BrowserError
  | CancelledError
  | UnexpectedError;

export abstract class ServiceError extends Error {
  abstract readonly kind: FailureValue['kind'];
}

/** The server answered with an error (an envelope, or something that is not one). */
export abstract class ApiError extends ServiceError {
  constructor(
    readonly status: number,
    readonly code: string,
    /** The envelope's sentence, or null when the answer carried none. */
    readonly said: string | null,
  ) {
    super(said ?? `the server answered ${status}`);
  }
}

/** 401: the credentials or the session token were refused (logged out, or the session ended). */
export class SessionRefusedError extends ApiError {
  override readonly kind = 'session-refused';
}

/** 403: signed in, but this proof or this action is refused. */
export class ForbiddenError extends ApiError {
  override readonly kind = 'forbidden';
}

export class NotFoundError extends ApiError {
  override readonly kind = 'not-found';
}

/** 429 for asking too often (the transfer quota's 429 is a QuotaRefusedError). */
export class RateLimitedError extends ApiError {
  override readonly kind = 'rate-limited';
}

/**
 * The storage quota (507 quota_exceeded) or the data owner's monthly transfer quota (429
 * transfer_quota_exceeded) refused the request. `figures` are the server's, checked for shape;
 * null when it sent none that fit.
 */
export class QuotaRefusedError extends ApiError {
  override readonly kind = 'quota';
  readonly quota: 'storage' | 'transfer';
  constructor(
    status: number,
    code: 'quota_exceeded' | 'transfer_quota_exceeded',
    said: string | null,
    readonly figures: ErrorDetails | null,
  ) {
    super(status, code, said);
    this.quota = code === 'quota_exceeded' ? 'storage' : 'transfer';
  }
}

/** An answer this client will not use: not the shape it must have, or larger than allowed. */
export class BadAnswerError extends ApiError {
  override readonly kind = 'bad-answer';
  constructor(
    status: number,
    readonly reason: 'malformed' | 'too-large',
  ) {
    super(status, 'bad_response', null);
  }
}

/** Any other refusal: shown in the server's words, or by its status when it sent none. */
export class ServerError extends ApiError {
  override readonly kind = 'server';
}

/** The request never got an answer: offline, server down, connection cut. */
export class NetworkError extends ServiceError {
  override readonly kind = 'network';
  constructor() {
    super('no answer from the server');
  }
}

/**
 * A decryption or verification failed (core/crypto's IntegrityError, wherever it ran), or a check
 * outside core did: a listing that contradicts the signed manifest, a node in the wrong folder.
 */
export class IntegrityFailedError extends ServiceError {
  override readonly kind = 'integrity';
  constructor() {
    super('integrity check failed');
  }
}

/** The server asked for password hashing below core's floor (core/crypto's WeakKdfError). */
export class WeakKdfRefusedError extends ServiceError {
  override readonly kind = 'weak-kdf';
  constructor() {
    super('password hashing settings below the floor');
  }
}

/** The server's account keys do not open: damaged or tampered. Nothing more was sent. */
export class DamagedAccountError extends ServiceError {
  override readonly kind = 'damaged-account';
  constructor() {
    super('the account keys do not open');
  }
}

/** A request the client refuses locally, before anything is sent. */
export class InvalidRequestError extends ServiceError {
  override readonly kind = 'invalid';
  constructor(readonly refusal: Refusal) {
    super(refusal.key);
  }
}

/** Why a share link could not be opened. */
export class LinkError extends ServiceError {
  override readonly kind = 'link';
  constructor(readonly reason: LinkErrorReason) {
    super(`link ${reason}`);
  }
}

/** A direct transfer stopped; `cause` keeps the transport's error. */
export class DirectTransferError extends ServiceError {
  override readonly kind = 'direct';
  constructor(
    readonly role: DirectRole,
    readonly failure: DirectFailure,
    cause: unknown,
  ) {
    super(failure.reason === 'transport' ? failure.detail : failure.reason, { cause });
  }
}

/** The browser could not do something the app needs. */
export class BrowserError extends ServiceError {
  override readonly kind = 'browser';
  constructor(readonly reason: BrowserFailure) {
    super(reason);
  }
}

/** Stopped on purpose: the person cancelled, or closed a dialog. */
export class CancelledError extends ServiceError {
  override readonly kind = 'cancelled';
  constructor() {
    super('cancelled');
  }
}

/** Anything else (a bug, a format refusal from core): shown by its own message. */
export class UnexpectedError extends ServiceError {
  override readonly kind = 'unexpected';
}

/** The refusals an answer with an error status stands for. */
export type ApiFailure =
  | SessionRefusedError
  | ForbiddenError
  | NotFoundError
  | RateLimitedError
  | QuotaRefusedError
  | ServerError;

/** The error the server's status and code stand for; `details` as the envelope carried them. */
export function apiError(
  status: number,
  code: string,
  said: string | null,
  details: ErrorDetails | null = null,
): ApiFailure {
  if (code === 'quota_exceeded' || code === 'transfer_quota_exceeded')
    return new QuotaRefusedError(status, code, said, details);
  switch (status) {
    case 401:
      return new SessionRefusedError(status, code, said);
    case 403:
      return new ForbiddenError(status, code, said);
    case 404:
      return new NotFoundError(status, code, said);
    case 429:
      return new RateLimitedError(status, code, said);
    default:
      return new ServerError(status, code, said);
  }
}

/** The data owner's monthly transfer quota refused a chunk: wait for the reset or an upgrade. */
export function isTransferQuotaError(error: unknown): error is QuotaRefusedError {
  return error instanceof QuotaRefusedError && error.quota === 'transfer';
}

export function isIntegrityError(error: unknown): boolean {
  return asServiceFailure(error) instanceof IntegrityFailedError;
}

/**
 * Anything a service may throw, as a typed failure: core's own errors from the crypto run on
 * the page, and the browser's DOMExceptions (whose `name` is their type, by the DOM's own
 * definition), are given their typed counterpart; what is already typed passes unchanged.
 */
export function asServiceFailure(error: unknown): ServiceFailure {
  if (error instanceof ServiceError) return error as ServiceFailure;
  switch (coreFailure(error)) {
    case 'integrity':
      return new IntegrityFailedError();
    case 'weak-kdf':
      return new WeakKdfRefusedError();
  }
  if (error instanceof DOMException) {
    if (error.name === 'QuotaExceededError') return new BrowserError('storage-full');
    if (error.name === 'AbortError') return new CancelledError();
  }
  return new UnexpectedError(error instanceof Error ? error.message : '', { cause: error });
}

/** Anything a service may throw, as plain data (see FailureValue). */
export function failureValue(error: unknown): FailureValue {
  const failure = asServiceFailure(error);
  switch (failure.kind) {
    case 'session-refused':
    case 'forbidden':
    case 'not-found':
    case 'rate-limited':
    case 'server': {
      const { kind, status, code, said } = failure;
      return { kind, status, code, said };
    }
    case 'quota': {
      const { kind, status, code, said, quota, figures } = failure;
      return { kind, status, code, said, quota, figures };
    }
    case 'bad-answer':
      return { kind: failure.kind, status: failure.status, reason: failure.reason };
    case 'network':
    case 'integrity':
    case 'weak-kdf':
    case 'damaged-account':
    case 'cancelled':
      return { kind: failure.kind };
    case 'invalid':
      return { kind: failure.kind, refusal: failure.refusal };
    case 'link':
      return { kind: failure.kind, reason: failure.reason };
    case 'browser':
      return { kind: failure.kind, reason: failure.reason };
    case 'direct':
      return { kind: failure.kind, role: failure.role, failure: failure.failure };
    case 'unexpected':
      return { kind: failure.kind, message: failure.message };
  }
}
