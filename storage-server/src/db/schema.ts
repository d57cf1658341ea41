import type { Generated } from 'kysely';

/** Table types for Kysely. Times are ms since the epoch; binary values are base64url text. */

export interface AccountsTable {
  user_id: string;
  /** The normal form of the email rule (protocol.md §3, "Email addresses"). */
  email: string;
  kdf_salt: string;
  kdf_opslimit: number;
  kdf_memlimit: number;
  /** SHA-256 of the auth key (base64url). */
  auth_hash: string;
  recovery_auth_hash: string;
  wrapped_master_key: string;
  wrapped_master_key_recovery: string;
  sign_public_key: string;
  box_public_key: string;
  wrapped_sign_secret_key: string;
  wrapped_box_secret_key: string;
  root_id: string;
  wrapped_root_key: string;
  /** Committed bytes plus the reservations of open uploads. */
  storage_used: number;
  /** A plan id of the configuration; null or an id no longer configured: the default plan. */
  plan_id: string | null;
  created_at: number;
}

export interface SessionsTable {
  /** SHA-256 of the bearer token (base64url); the token itself is never stored. */
  token_hash: string;
  user_id: string;
  created_at: number;
  last_used_at: number;
}

export interface NodesTable {
  id: string;
  owner_id: string;
  /** null for the root folder only. */
  parent_id: string | null;
  type: 'folder' | 'file';
  /** null for the root folder, whose key lives in the account's bundle. */
  wrapped_key: string | null;
  enc_meta: string | null;
  created_at: number;
  trashed_at: number | null;
  // The committed revision of a file (all null for folders).
  revision: number | null;
  wrapped_content_key: string | null;
  manifest: string | null;
  /** Ciphertext bytes of all chunks. */
  size: number | null;
  chunk_count: number | null;
  /** The upload whose chunks hold this revision's content: the key of its blobs. */
  content_id: string | null;
}

export interface UploadsTable {
  /** Also the content id of the chunks it receives. */
  id: string;
  owner_id: string;
  node_id: string;
  parent_id: string;
  wrapped_key: string;
  enc_meta: string;
  revision: number;
  wrapped_content_key: string;
  /** Bytes reserved against the account's storage. */
  size: number;
  chunk_count: number;
  created_at: number;
  expires_at: number;
}

/** One stored chunk of an upload or of the committed revision it became. */
export interface ChunksTable {
  content_id: string;
  idx: number;
  /** SHA-256 of the ciphertext (base64url). */
  chunk_id: string;
  size: number;
}

/** A share link. The link key never reaches the server; these are its sealed wrappings. */
export interface LinksTable {
  link_id: string;
  owner_id: string;
  node_id: string;
  wrapped_key: string;
  owner_key: string;
  /** Argon2id parameters of a password link; all null without a password. */
  kdf_salt: string | null;
  kdf_opslimit: number | null;
  kdf_memlimit: number | null;
  /** null: never expires. */
  expires_at: number | null;
  /** null: no limit. */
  download_limit: number | null;
  downloads: Generated<number>;
  created_at: number;
}

/** Every link id the server drew. A row is never deleted once a link used its id. */
export interface LinkIdsTable {
  link_id: string;
  /** The account it was drawn for. */
  owner_id: string;
  drawn_at: number;
  /** When a link was created under it; null while it waits. */
  used_at: number | null;
}

/** A download grant: one counted pass over one file of a link. */
export interface DownloadGrantsTable {
  /** SHA-256 of the grant's secret (base64url); the secret itself is never stored. */
  id: string;
  link_id: string;
  node_id: string;
  expires_at: number;
}

/** A chunk taken under a grant: being sent by one response, or sent in full. */
export interface DownloadGrantChunksTable {
  grant_id: string;
  idx: number;
  /** The response that took it. */
  claim_id: string;
  /** Until when that response holds it; null once it was sent in full. */
  held_until: number | null;
}

/** Chunk bytes served per account and calendar month (UTC). */
export interface TransferUsageTable {
  user_id: string;
  /** 'YYYY-MM'. */
  month: string;
  bytes: number;
}

/** The transfer a chunk response reserved, until it ends (or, if its process died, expires). */
export interface TransferHoldsTable {
  id: string;
  user_id: string;
  month: string;
  bytes: number;
  expires_at: number;
}

/** Secrets of the deployment, shared by every node through the database. */
export interface ServerSecretsTable {
  name: string;
  /** base64url */
  value: string;
}

export interface Database {
  accounts: AccountsTable;
  sessions: SessionsTable;
  nodes: NodesTable;
  uploads: UploadsTable;
  chunks: ChunksTable;
  links: LinksTable;
  link_ids: LinkIdsTable;
  download_grants: DownloadGrantsTable;
  download_grant_chunks: DownloadGrantChunksTable;
  transfer_usage: TransferUsageTable;
  transfer_holds: TransferHoldsTable;
  server_secrets: ServerSecretsTable;
}
