/** Node's errors for a server that is not there or went away mid-conversation. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND']);

/**
 * True when PostgreSQL could not be reached or went away (restarting, failing over): the request
 * did not happen, and the same request later may well succeed, so the client hears 503, not 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    // SQLSTATE class 08 (connection exception) and 57P01–57P03 (shutting down, cannot connect now).
    return CONNECTION_CODES.has(code) || code.startsWith('08') || /^57P0[123]$/.test(code);
  }
  // node-postgres reports a connection that died under a query without a code.
  return typeof message === 'string' && /^Connection terminated/.test(message);
}
