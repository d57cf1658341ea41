import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { Migrator } from 'kysely';
import pg from 'pg';
import { migrations } from './migrations';
import { withStatementCache } from './statement-cache';
import type { Database } from './schema';

export type Db = Kysely<Database>;

/** The embedded SQLite file (the default), or a PostgreSQL server shared by several nodes. */
export type DatabaseLocation =
  { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; poolSize: number };

/** What Kysely's migrator records; its presence tells a database this code has set up. */
const MIGRATION_TABLE = 'kysely_migration';

/**
 * Opens the database and brings its schema up to date. With `mustExist` (the admin command) a
 * database this code never set up is refused rather than created. A database that has run
 * migrations this code does not know is refused before anything changes. On PostgreSQL the
 * migrator holds an advisory lock, so nodes starting together migrate once.
 */
export async function openDatabase(
  location: DatabaseLocation,
  options: { mustExist?: boolean } = {},
): Promise<Db> {
  const db =
    location.kind === 'postgres' ? openPostgres(location) : openSqlite(location.file, options);
  try {
    if (options.mustExist && !(await hasBeenSetUp(db))) {
      throw new Error('it holds no Coffre schema');
    }
    await migrate(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}

function openSqlite(file: string, options: { mustExist?: boolean }): Db {
  const sqlite = new BetterSqlite3(file, { fileMustExist: options.mustExist ?? false });
  sqlite.pragma('journal_mode = WAL');
  // WAL + NORMAL: a power cut may lose the last transactions but never corrupts the file.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // 64 MiB of page cache instead of 2: the account, node and session indexes a sign-up or log-in
  // walks stay in memory as they grow to hundreds of thousands of rows.
  sqlite.pragma('cache_size = -65536');
  sqlite.pragma('temp_store = MEMORY');
  return new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
  });
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * Sizes and times are bigint columns; node-postgres hands int8 (and the numeric a SUM of them
 * gives) over as strings to be safe past 2^53. Ours stay far below (bytes of one account, ms
 * since 1970), so they become numbers, as SQLite gives them, and anything past 2^53 is refused.
 */
function exactNumber(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`database value out of range: ${text}`);
  return value;
}

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID || oid === NUMERIC_OID
      ? exactNumber
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

function openPostgres(location: { url: string; poolSize: number }): Db {
  const pool = new pg.Pool({ connectionString: location.url, max: location.poolSize, types });
  // An idle client losing its connection (a PostgreSQL restart) must not crash the process; the
  // pool drops it and the next query connects again.
  pool.on('error', () => {});
  // The same for a client checked out between two statements: its query fails on its own, and
  // the socket's error event must find a listener.
  pool.on('connect', (client) => client.on('error', () => {}));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

async function hasBeenSetUp(db: Db): Promise<boolean> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  return tables.some((table) => table.name === MIGRATION_TABLE);
}

async function migrate(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const where = failed ? ` at ${failed.migrationName}` : '';
    const why = error instanceof Error ? `: ${error.message}` : '';
    throw new Error(`database migration failed${where}${why}`, { cause: error });
  }
}

/** Throws when the database does not answer (readiness). */
export async function checkDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
