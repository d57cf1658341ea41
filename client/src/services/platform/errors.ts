// Errors the services layer raises, and the one place that turns any failure into a sentence a
// person can read. Crypto errors are recognised by name because those thrown inside a worker
// arrive here as plain errors with the name preserved (see crypto-pool.ts).

/** The server answered with an error envelope (or something that is not one). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The data owner's monthly transfer quota refused a chunk: wait for the reset or an upgrade. */
export function isTransferQuotaError(error: unknown): error is ApiError {
  return error instanceof ApiError && error.code === 'transfer_quota_exceeded';
}

/** The request never got an answer: offline, server down, connection cut. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  constructor() {
    super("Can't reach the server. Check your connection and try again.");
  }
}

/** A request the client refuses locally, before anything is sent. */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
}

const INTEGRITY_MESSAGE = 'integrity check failed';

/**
 * A check outside core/crypto failed (a listing that contradicts the signed manifest, a node in
 * the wrong folder): same name and message as core's IntegrityError, so it is reported the same.
 */
export function integrityError(): Error {
  const error = new Error(INTEGRITY_MESSAGE);
  error.name = 'IntegrityError';
  return error;
}

export function isIntegrityError(error: unknown): boolean {
  return error instanceof Error && error.name === 'IntegrityError';
}

/** A short readable sentence for any error a service may throw. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return 'Something went wrong.';
  switch (error.name) {
    case 'IntegrityError':
      return INTEGRITY_MESSAGE;
    case 'WeakKdfError':
      return 'The server asked for password settings weaker than this app accepts.';
    case 'QuotaExceededError':
      return 'This device has run out of storage space.';
    case 'AbortError':
      return 'Cancelled.';
    default:
      return error.message || 'Something went wrong.';
  }
}
