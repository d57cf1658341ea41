import { existsSync } from 'node:fs';
import path from 'node:path';
import { AdminError, runPlanCommand, USAGE } from './admin/plan-commands';
import { loadConfig } from './config';
import { openDatabase, type Db } from './db/database';
import { Plans } from './plans';

// `npm run admin -- <command>`: reads COFFRE_DATA_DIR and COFFRE_PLANS_FILE like the server and
// works on the same SQLite file, also while the server runs (WAL, busy timeout). Exit status 0 on
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
    const file = path.join(config.dataDir, 'coffre.sqlite');
    // Never creates a database: a wrong COFFRE_DATA_DIR must not look like an empty server.
    if (!existsSync(file)) {
      throw new AdminError(`no database at ${file}; is COFFRE_DATA_DIR the server's data dir?`);
    }
    db = await openDatabase(file, { mustExist: true }).catch((error: unknown) => {
      throw new AdminError(`cannot open the database ${file}: ${(error as Error).message}`);
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
