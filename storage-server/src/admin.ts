import { existsSync } from 'node:fs';
import { AdminError, runPlanCommand, USAGE } from './admin/plan-commands';
import { databaseLocation, loadConfig } from './config';
import { openDatabase, type Db } from './db/database';
import { Plans } from './plans';

// `npm run admin -- <command>`: reads COFFRE_DATA_DIR (or DATABASE_URL) and COFFRE_PLANS_FILE like
// the server and works on the same database, also while the server runs. Exit status 0 on
// success, 2 on any refusal or error.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--help' || args[0] === 'help')) {
  console.log(USAGE);
  process.exit(0);
}

let db: Db | undefined;
try {
  const config = loadConfig();
  const openDb = async () => {
    const location = databaseLocation(config);
    const where = location.kind === 'sqlite' ? location.file : 'at DATABASE_URL';
    // Never creates a database: a wrong COFFRE_DATA_DIR or DATABASE_URL must not look like an
    // empty server.
    if (location.kind === 'sqlite' && !existsSync(location.file)) {
      throw new AdminError(`no database at ${where}; is COFFRE_DATA_DIR the server's data dir?`);
    }
    db = await openDatabase(location, { mustExist: true }).catch((error: unknown) => {
      throw new AdminError(`cannot open the database ${where}: ${(error as Error).message}`);
    });
    return db;
  };
  const context = {
    plans: new Plans(config.plans),
    now: config.now,
    print: (line: string) => console.log(line),
  };
  await runPlanCommand(context, openDb, args);
} catch (error) {
  console.error(error instanceof AdminError ? error.message : `error: ${(error as Error).message}`);
  process.exitCode = 2;
} finally {
  await db?.destroy();
}
