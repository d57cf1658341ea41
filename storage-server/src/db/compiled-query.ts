import type { Compilable, CompiledQuery, QueryResult } from 'kysely';
import type { Db } from './database';

/** What a placeholder parameter looks like until the query runs: text no client can send. */
const PLACEHOLDER = '\u0000coffre-parameter:';

export type CompiledRunner<P, R> = (db: Db, params: P) => Promise<QueryResult<R>>;

/**
 * Builds and compiles a Kysely query once, then runs it with fresh parameters. Building a query
 * cost more CPU than SQLite took to run it on the sign-up and log-in paths; the SQL text is the
 * same every time, so only the parameter values need to change.
 *
 * `build` receives placeholders for `params` and must use them as values only (in `values`,
 * `where`, `set` and the like), never in JavaScript logic: they are stand-ins, not the values.
 * The runner takes the database or a transaction, since a compiled query belongs to neither.
 */
export function compileOnce<P extends Record<string, unknown>, R>(
  db: Db,
  build: (db: Db, params: P) => Compilable<R>,
): CompiledRunner<P, R> {
  const placeholders = new Proxy(
    {},
    { get: (_target, name) => (typeof name === 'string' ? PLACEHOLDER + name : undefined) },
  ) as P;
  const template = build(db, placeholders).compile();
  if (template.sql.includes(PLACEHOLDER)) {
    throw new Error('a placeholder was written into the SQL text instead of bound');
  }
  const slots = template.parameters.map((value) =>
    typeof value === 'string' && value.startsWith(PLACEHOLDER)
      ? value.slice(PLACEHOLDER.length)
      : null,
  );
  return (target, params) => {
    const parameters = template.parameters.map((constant, i) => {
      const name = slots[i];
      return name === null || name === undefined ? constant : params[name];
    });
    const query: CompiledQuery<R> = { ...template, parameters };
    return target.executeQuery(query);
  };
}
