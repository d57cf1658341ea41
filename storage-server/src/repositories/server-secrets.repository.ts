import type { Db } from '../db/database';

/** The server_secrets table: secrets of the deployment, shared by every node. */
export class ServerSecretsRepository {
  constructor(private readonly db: Db) {}

  /** Stores `value` under `name` unless a value is stored there already. */
  async insertIfAbsent(name: string, value: string): Promise<void> {
    await this.db
      .insertInto('server_secrets')
      .values({ name, value })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
  }

  async get(name: string): Promise<string> {
    const row = await this.db
      .selectFrom('server_secrets')
      .select('value')
      .where('name', '=', name)
      .executeTakeFirstOrThrow();
    return row.value;
  }
}
