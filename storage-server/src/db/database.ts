import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import { migrations } from './migrations';
import { withStatementCache } from './statement-cache';
import type { Database } from './schema';

export type Db = Kysely<Database>;

/**
 * Opens (creating it unless `mustExist`) the SQLite database and brings its schema up to date. A
 * database that has run migrations this code does not know is refused before anything changes.
 */
export async function openDatabase(
  file: string,
  options: { mustExist?: boolean } = {},
): Promise<Db> {
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
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
  });

  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    await db.destroy();
    const where = failed ? ` at ${failed.migrationName}` : '';
    const why = error instanceof Error ? `: ${error.message}` : '';
    throw new Error(`database migration failed${where}${why}`, { cause: error });
  }
  return db;
}
