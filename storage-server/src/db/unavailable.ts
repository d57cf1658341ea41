/** Node's errors for a server that cannot be reached. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * A reset read on the database's own socket: PostgreSQL went away under a query, and depending on
 * how its end of the connection closed node-postgres reports this or "Connection terminated"
 * (below). A client that hangs up mid-request also raises ECONNRESET, but from the request stream
 * ("aborted", no `read` syscall), and that stays a failure of its own.
 */
function isDatabaseSocketReset(code: string, syscall: unknown): boolean {
  return code === 'ECONNRESET' && syscall === 'read';
}

/**
 * True when PostgreSQL could not be reached or went away (restarting, failing over): the request
 * did not happen, and the same request later may well succeed, so the client hears 503, not 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const { code, message, syscall } = (error ?? {}) as {
    code?: unknown;
    message?: unknown;
    syscall?: unknown;
  };
  if (typeof code === 'string') {
    // SQLSTATE class 08 (connection exception) and 57P01–57P03 (shutting down, cannot connect now).
    return (
      CONNECTION_CODES.has(code) ||
      isDatabaseSocketReset(code, syscall) ||
      code.startsWith('08') ||
      /^57P0[123]$/.test(code)
    );
  }
  // node-postgres reports a connection that died under a query without a code, and a query on a
  // client whose connection had already failed the same way. (Kysely's rollback of a transaction
  // whose connection died is such a query, and its error is the one that reaches the client.)
  return (
    typeof message === 'string' &&
    /^(Connection terminated|Client has encountered a connection error)/.test(message)
  );
}
