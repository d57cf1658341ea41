// Which failures answer 503 `unavailable` (the database could not be reached: try again) rather
// than 500; a client hanging up mid-request is not one of them.
import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../../storage-server/src/db/unavailable';

describe('a database that cannot be reached', () => {
  it('is told by connection refusals, SQLSTATE 08 and 57P01–57P03, and a lost connection', () => {
    for (const error of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      { code: '57P01', message: 'terminating connection due to administrator command' },
      { code: '57P03', message: 'the database system is starting up' },
      { code: '08006', message: 'connection failure' },
      new Error('Connection terminated unexpectedly'),
      // PostgreSQL killed under a query: the database's socket is reset as it is read.
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', syscall: 'read' }),
      new Error('Client has encountered a connection error and is not queryable'),
    ]) {
      expect(isDatabaseUnavailable(error), JSON.stringify(error)).toBe(true);
    }
  });

  it('is not a client that hung up, a constraint, or anything else', () => {
    for (const error of [
      Object.assign(new Error('aborted'), { code: 'ECONNRESET' }),
      Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }),
      { code: '23505', message: 'duplicate key value violates unique constraint' },
      { code: 'SQLITE_BUSY', message: 'database is locked' },
      new Error('boom'),
      null,
    ]) {
      expect(isDatabaseUnavailable(error), JSON.stringify(error)).toBe(false);
    }
  });
});
