import { Type, type Static } from 'typebox';
import { ByteCount, Timestamp } from './common';

/** Every error code of protocol.md §1 with its HTTP status. */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  incomplete_upload: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  integrity: 422,
  rate_limited: 429,
  transfer_quota_exceeded: 429,
  internal: 500,
  unavailable: 503,
  quota_exceeded: 507,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The figures behind a quota refusal, so a client can show them its own way. */
export const ErrorDetails = Type.Object({
  /** Bytes the refused request needed (an upload's size). */
  needed: Type.Optional(ByteCount),
  used: ByteCount,
  quota: ByteCount,
  /** When a transfer quota starts again: ms since the epoch. */
  resetsAt: Type.Optional(Timestamp),
});
export type ErrorDetails = Static<typeof ErrorDetails>;

export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.Enum(Object.keys(ERROR_STATUS) as ErrorCode[]),
    message: Type.String({ maxLength: 1024 }),
    /** Only on `quota_exceeded` and `transfer_quota_exceeded`. */
    details: Type.Optional(ErrorDetails),
  }),
});
export type ErrorBody = Static<typeof ErrorBody>;
