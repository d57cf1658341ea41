import type { Kysely } from 'kysely';
import type { Migration } from 'kysely';
import { normaliseEmail } from '@coffre/core/format';

// Written with the schema builder only (no SQLite-specific SQL) so the same migrations can run on
// PostgreSQL. Times and sizes are bigint; binary values are base64url text.

const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('accounts')
      .addColumn('user_id', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.notNull().unique())
      .addColumn('kdf_salt', 'text', (c) => c.notNull())
      .addColumn('kdf_opslimit', 'integer', (c) => c.notNull())
      .addColumn('kdf_memlimit', 'bigint', (c) => c.notNull())
      .addColumn('auth_hash', 'text', (c) => c.notNull())
      .addColumn('recovery_auth_hash', 'text', (c) => c.notNull())
      .addColumn('wrapped_master_key', 'text', (c) => c.notNull())
      .addColumn('wrapped_master_key_recovery', 'text', (c) => c.notNull())
      .addColumn('sign_public_key', 'text', (c) => c.notNull())
      .addColumn('box_public_key', 'text', (c) => c.notNull())
      .addColumn('wrapped_sign_secret_key', 'text', (c) => c.notNull())
      .addColumn('wrapped_box_secret_key', 'text', (c) => c.notNull())
      .addColumn('root_id', 'text', (c) => c.notNull().unique())
      .addColumn('wrapped_root_key', 'text', (c) => c.notNull())
      .addColumn('storage_used', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('storage_quota', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('sessions')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) =>
        c.notNull().references('accounts.user_id').onDelete('cascade'),
      )
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

    await db.schema
      .createTable('nodes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('owner_id', 'text', (c) =>
        c.notNull().references('accounts.user_id').onDelete('cascade'),
      )
      .addColumn('parent_id', 'text', (c) => c.references('nodes.id'))
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('wrapped_key', 'text')
      .addColumn('enc_meta', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('trashed_at', 'bigint')
      .addColumn('revision', 'integer')
      .addColumn('wrapped_content_key', 'text')
      .addColumn('manifest', 'text')
      .addColumn('size', 'bigint')
      .addColumn('chunk_count', 'integer')
      .addColumn('content_id', 'text')
      .execute();
    await db.schema
      .createIndex('nodes_owner_parent')
      .on('nodes')
      .columns(['owner_id', 'parent_id'])
      .execute();
    await db.schema
      .createIndex('nodes_owner_trashed')
      .on('nodes')
      .columns(['owner_id', 'trashed_at'])
      .execute();

    await db.schema
      .createTable('uploads')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('owner_id', 'text', (c) =>
        c.notNull().references('accounts.user_id').onDelete('cascade'),
      )
      .addColumn('node_id', 'text', (c) => c.notNull().unique())
      .addColumn('parent_id', 'text', (c) => c.notNull())
      .addColumn('wrapped_key', 'text', (c) => c.notNull())
      .addColumn('enc_meta', 'text', (c) => c.notNull())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('wrapped_content_key', 'text', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('chunk_count', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('uploads_expires').on('uploads').column('expires_at').execute();

    await db.schema
      .createTable('chunks')
      .addColumn('content_id', 'text', (c) => c.notNull())
      .addColumn('idx', 'integer', (c) => c.notNull())
      .addColumn('chunk_id', 'text', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('chunks_pk', ['content_id', 'idx'])
      .execute();
  },
};

const links: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('links')
      .addColumn('link_id', 'text', (c) => c.primaryKey())
      .addColumn('owner_id', 'text', (c) =>
        c.notNull().references('accounts.user_id').onDelete('cascade'),
      )
      .addColumn('node_id', 'text', (c) => c.notNull().references('nodes.id').onDelete('cascade'))
      .addColumn('wrapped_key', 'text', (c) => c.notNull())
      .addColumn('owner_key', 'text', (c) => c.notNull())
      // All three null for a link without a password.
      .addColumn('kdf_salt', 'text')
      .addColumn('kdf_opslimit', 'integer')
      .addColumn('kdf_memlimit', 'bigint')
      .addColumn('expires_at', 'bigint')
      .addColumn('download_limit', 'bigint')
      .addColumn('downloads', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('links_owner_created')
      .on('links')
      .columns(['owner_id', 'created_at'])
      .execute();
    await db.schema.createIndex('links_node').on('links').column('node_id').execute();

    await db.schema
      .createTable('transfer_usage')
      .addColumn('user_id', 'text', (c) =>
        c.notNull().references('accounts.user_id').onDelete('cascade'),
      )
      // Calendar month in UTC, 'YYYY-MM'.
      .addColumn('month', 'text', (c) => c.notNull())
      .addColumn('bytes', 'bigint', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('transfer_usage_pk', ['user_id', 'month'])
      .execute();
  },
};

const plans: Migration = {
  async up(db: Kysely<unknown>) {
    // Plans live in configuration; the account keeps only the id. null (accounts from before
    // plans) and an id no longer configured both mean the configured default.
    await db.schema.alterTable('accounts').addColumn('plan_id', 'text').execute();
    // The quota now follows from the plan.
    await db.schema.alterTable('accounts').dropColumn('storage_quota').execute();
  },
};

const serverSecrets: Migration = {
  async up(db: Kysely<unknown>) {
    // In the database rather than a node's data dir, so every node of a deployment derives the
    // same answers from it.
    await db.schema
      .createTable('server_secrets')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  },
};

const transferHolds: Migration = {
  async up(db: Kysely<unknown>) {
    // A chunk response's transfer reservation until the response ends. A process that dies
    // mid-response leaves its hold behind, and a sweep gives the bytes back: a crash never bills
    // what it did not finish sending, and the retry on another node is billed instead.
    await db.schema
      .createTable('transfer_holds')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) =>
        c.notNull().references('accounts.user_id').onDelete('cascade'),
      )
      .addColumn('month', 'text', (c) => c.notNull())
      .addColumn('bytes', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('transfer_holds_expiry')
      .on('transfer_holds')
      .column('expires_at')
      .execute();
  },
};

/** The two tables as migration 0006 sees them. */
interface LinkIdsBackfill {
  links: { link_id: string; owner_id: string; created_at: number };
  link_ids: { link_id: string; owner_id: string; drawn_at: number; used_at: number };
}

const linkIdsAndGrants: Migration = {
  async up(db: Kysely<unknown>) {
    // Every link id the server ever drew, kept for good: no id is drawn twice, and none a link
    // used is accepted again. No reference to the account: the record outlives the link, its node
    // and its owner.
    await db.schema
      .createTable('link_ids')
      .addColumn('link_id', 'text', (c) => c.primaryKey())
      .addColumn('owner_id', 'text', (c) => c.notNull())
      .addColumn('drawn_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('link_ids_owner_waiting')
      .on('link_ids')
      .columns(['owner_id', 'used_at', 'drawn_at'])
      .execute();
    // Links made while clients chose their ids: those ids are used.
    await (db as Kysely<LinkIdsBackfill>)
      .insertInto('link_ids')
      .columns(['link_id', 'owner_id', 'drawn_at', 'used_at'])
      .expression((eb) =>
        eb
          .selectFrom('links')
          .select(['link_id', 'owner_id', 'created_at as drawn_at', 'created_at as used_at']),
      )
      .execute();

    // A download grant is one pass over one file: each chunk is sent in full once under it.
    await db.schema
      .createTable('download_grants')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('link_id', 'text', (c) =>
        c.notNull().references('links.link_id').onDelete('cascade'),
      )
      .addColumn('node_id', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('download_grants_link_expiry')
      .on('download_grants')
      .columns(['link_id', 'expires_at'])
      .execute();
    await db.schema
      .createTable('download_grant_chunks')
      .addColumn('grant_id', 'text', (c) =>
        c.notNull().references('download_grants.id').onDelete('cascade'),
      )
      .addColumn('idx', 'integer', (c) => c.notNull())
      .addColumn('claim_id', 'text', (c) => c.notNull())
      .addColumn('held_until', 'bigint')
      .addPrimaryKeyConstraint('download_grant_chunks_pk', ['grant_id', 'idx'])
      .execute();
  },
};

/** The accounts table as migration 0007 sees it. */
interface EmailsInForm {
  accounts: { user_id: string; email: string; created_at: number };
}

/** Accounts read per query: a page of addresses, whatever the table's size. */
const EMAIL_PAGE = 1000;

const normalEmails: Migration = {
  async up(untyped: Kysely<unknown>) {
    // Addresses were only trimmed and lower-cased: each is rewritten to the normal form of the
    // email rule (protocol.md §3, "Email addresses"), oldest account first. One the rule refuses,
    // or whose normal form another account holds already, stays as it was.
    const db = untyped as Kysely<EmailsInForm>;
    let after: { created_at: number; user_id: string } | null = null;
    for (;;) {
      let page = db
        .selectFrom('accounts')
        .select(['user_id', 'email', 'created_at'])
        .orderBy('created_at')
        .orderBy('user_id')
        .limit(EMAIL_PAGE);
      if (after) {
        const { created_at, user_id } = after;
        page = page.where((eb) =>
          eb.or([
            eb('created_at', '>', created_at),
            eb.and([eb('created_at', '=', created_at), eb('user_id', '>', user_id)]),
          ]),
        );
      }
      const rows = await page.execute();
      for (const row of rows) {
        let email: string;
        try {
          email = normaliseEmail(row.email);
        } catch {
          continue;
        }
        if (email === row.email) continue;
        const holder = await db
          .selectFrom('accounts')
          .select('user_id')
          .where('email', '=', email)
          .executeTakeFirst();
        if (holder) continue;
        await db
          .updateTable('accounts')
          .set({ email })
          .where('user_id', '=', row.user_id)
          .execute();
      }
      if (rows.length < EMAIL_PAGE) return;
      after = rows[rows.length - 1]!;
    }
  },
};

export const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_links': links,
  '0003_plans': plans,
  '0004_server_secrets': serverSecrets,
  '0005_transfer_holds': transferHolds,
  '0006_link_ids_and_grants': linkIdsAndGrants,
  '0007_normal_emails': normalEmails,
};
