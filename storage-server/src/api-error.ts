import { ERROR_STATUS, type ErrorCode, type ErrorDetails } from '@coffre/core/protocol';

/** An error that answers with the protocol's envelope; its message is safe to show a client. */
export class ApiError extends Error {
  readonly statusCode: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The figures of a quota refusal. */
    readonly details?: ErrorDetails,
  ) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = ERROR_STATUS[code];
  }
}

export const notFound = (what = 'not found') => new ApiError('not_found', what);
export const conflict = (message: string) => new ApiError('conflict', message);
export const badRequest = (message: string) => new ApiError('bad_request', message);
