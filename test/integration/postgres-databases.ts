import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The local PostgreSQL the `integration-scale` suite uses (trust auth on loopback). */
const ADMIN_URL =
  process.env.COFFRE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const created: string[] = [];

async function asAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database for one test server; its URL. Dropped by dropTestDatabases. */
export async function createTestDatabase(): Promise<string> {
  const name = `coffre_it_${randomBytes(6).toString('hex')}`;
  await asAdmin((client) => client.query(`create database ${name}`));
  created.push(name);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops every database this test file created (connections still open are ended). */
export async function dropTestDatabases(): Promise<void> {
  const names = created.splice(0);
  await asAdmin(async (client) => {
    for (const name of names) await client.query(`drop database if exists ${name} with (force)`);
  });
}
