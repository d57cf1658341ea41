import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ERROR_STATUS,
  type ErrorBody,
  type ErrorCode,
  type ErrorDetails,
} from '@coffre/core/protocol';
import { ApiError } from '../api-error';
import { isDatabaseUnavailable } from '../db/unavailable';
import { isUniqueViolation } from '../db/unique-violation';

const CODE_BY_STATUS = new Map<number, ErrorCode>(
  (Object.entries(ERROR_STATUS) as [ErrorCode, number][])
    // Codes that share a status with a more general one are only ever raised by name.
    .filter(([code]) => code !== 'incomplete_upload' && code !== 'transfer_quota_exceeded')
    .map(([code, status]): [number, ErrorCode] => [status, code]),
);

export function sendError(
  reply: FastifyReply,
  code: ErrorCode,
  message: string,
  details?: ErrorDetails,
): FastifyReply {
  const body: ErrorBody = { error: details ? { code, message, details } : { code, message } };
  return reply
    .status(ERROR_STATUS[code])
    .header('cache-control', 'no-store')
    .type('application/json; charset=utf-8')
    .send(body);
}

function describeValidation(error: FastifyError): string {
  const first = error.validation?.[0];
  const where = `${error.validationContext ?? 'request'}${first?.instancePath ?? ''}`;
  return `invalid ${where}${first?.message ? `: ${first.message}` : ''}`;
}

/** Maps anything thrown to the protocol's envelope; a 5xx never reveals its cause. */
function toEnvelope(error: FastifyError | ApiError): {
  code: ErrorCode;
  message: string;
  details?: ErrorDetails;
} {
  if (error instanceof ApiError) {
    return { code: error.code, message: error.message, details: error.details };
  }
  if (error.validation) return { code: 'bad_request', message: describeValidation(error) };
  if (isUniqueViolation(error)) return { code: 'conflict', message: 'id already in use' };
  if (isDatabaseUnavailable(error)) {
    return { code: 'unavailable', message: 'the database cannot be reached; try again shortly' };
  }
  const status = error.statusCode ?? 500;
  const code = status < 500 ? (CODE_BY_STATUS.get(status) ?? 'bad_request') : 'internal';
  const message = code === 'internal' ? 'internal error' : error.message;
  return { code, message };
}

export function installErrorHandling(
  app: FastifyInstance,
  notFound: (request: FastifyRequest, reply: FastifyReply) => FastifyReply | Promise<FastifyReply>,
): void {
  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    const { code, message, details } = toEnvelope(error);
    // A client that hung up mid-upload is routine, not a server fault worth an error log.
    // (The socket is already detached, null, once the client has gone.)
    const clientGone = request.raw.socket?.destroyed !== false;
    if (code === 'internal') {
      if (clientGone) request.log.info('client closed the connection mid-request');
      else request.log.error({ err: error }, 'request failed');
    } else if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
    }
    // A body left unread (refused upload, lying Content-Length) is not drained: drop the connection.
    if (!request.raw.complete) reply.header('connection', 'close');
    return sendError(reply, code, message, details);
  });
  app.setNotFoundHandler(notFound);
}
