/**
 * True for an insert refused by a primary key or unique index, on either engine. Checks made
 * before an insert cover the usual case; this covers two nodes inserting the same id at once,
 * which only the database itself can settle.
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    // PostgreSQL: unique_violation.
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}
