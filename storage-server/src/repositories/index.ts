// Repositories: all metadata SQL, one class per aggregate (accounts, sessions, nodes, uploads,
// chunks, links, download grants, transfer usage, and the server secrets read once at start-up).
// A repository holds queries (Kysely) and the mapping of their rows, and nothing else: no policy,
// no error a client sees, no transaction of its own. The services open transactions and decide;
// a method that may run inside one takes the transaction as its last argument (the database when
// left out).
//
// May import: db/, core/protocol types. Never imports services/ or routes/, nor another
// repository. Imported by services/ (services/index.ts builds them) and the admin commands.

import type { Db } from '../db/database';
import { AccountsRepository } from './accounts.repository';
import { ChunksRepository } from './chunks.repository';
import { DownloadGrantsRepository } from './download-grants.repository';
import { LinksRepository } from './links.repository';
import { NodesRepository } from './nodes.repository';
import { SessionsRepository } from './sessions.repository';
import { TransferUsageRepository } from './transfer-usage.repository';
import { UploadsRepository } from './uploads.repository';

export interface Repositories {
  accounts: AccountsRepository;
  sessions: SessionsRepository;
  nodes: NodesRepository;
  uploads: UploadsRepository;
  chunks: ChunksRepository;
  links: LinksRepository;
  downloadGrants: DownloadGrantsRepository;
  transferUsage: TransferUsageRepository;
}

/** One of each, built once per server: some compile their hottest queries on construction. */
export function createRepositories(db: Db): Repositories {
  return {
    accounts: new AccountsRepository(db),
    sessions: new SessionsRepository(db),
    nodes: new NodesRepository(db),
    uploads: new UploadsRepository(db),
    chunks: new ChunksRepository(db),
    links: new LinksRepository(db),
    downloadGrants: new DownloadGrantsRepository(db),
    transferUsage: new TransferUsageRepository(db),
  };
}
