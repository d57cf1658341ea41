// Services: the storage server's policy. A service takes a typed request from a route, decides
// what is allowed, what it costs and what is answered, and reads and writes through the
// repositories; it runs no SQL itself. Services open the transactions, and the order of the
// repository calls inside one is part of its race guarantees (test/integration/races.test.ts).
//
// May import: repositories/, db/ (the Db type and GroupCommit, for transaction boundaries),
// stores/ (blobs), api-error, plans, core/format and core/protocol. Never imports routes/ or
// http/. Imported by routes/ and http/ (as types), and built here once per server.

import type { Config } from '../config';
import type { Db } from '../db/database';
import type { Plans } from '../plans';
import { createRepositories } from '../repositories';
import type { BlobStore } from '../stores/blob-store';
import { Accounts } from './accounts.service';
import { DownloadGrants } from './download-grants';
import { Files } from './files.service';
import { LinkDownloads } from './link-downloads.service';
import { Links } from './links.service';
import { Nodes } from './nodes.service';
import { Quotas } from './quotas.service';
import { Sessions } from './sessions.service';
import { Space } from './space.service';
import { TransferMeter } from './transfer-meter.service';
import { Trash } from './trash.service';
import { Uploads } from './uploads.service';

/** What route handlers call. */
export interface Services {
  accounts: Accounts;
  sessions: Sessions;
  nodes: Nodes;
  trash: Trash;
  uploads: Uploads;
  files: Files;
  links: Links;
  linkDownloads: LinkDownloads;
  quotas: Quotas;
  space: Space;
  transferMeter: TransferMeter;
}

export type ServiceSettings = Pick<
  Config,
  'sessionTtlMs' | 'uploadTtlMs' | 'downloadGrantTtlMs' | 'now'
>;

/** Builds every service over one set of repositories. */
export function buildServices(
  db: Db,
  blobs: BlobStore,
  plans: Plans,
  secret: Buffer,
  settings: ServiceSettings,
): Services {
  const { now } = settings;
  const repositories = createRepositories(db);
  const sessions = new Sessions(repositories, settings.sessionTtlMs, now);
  const nodes = new Nodes(db, repositories, now);
  const transferMeter = new TransferMeter(db, repositories, now);
  const quotas = new Quotas(repositories, plans, transferMeter, now);
  const files = new Files(repositories);
  const links = new Links(db, repositories, nodes, now);
  const grants = new DownloadGrants(repositories, settings.downloadGrantTtlMs, now);
  return {
    accounts: new Accounts(db, repositories, sessions, transferMeter, quotas, secret, now),
    sessions,
    nodes,
    trash: new Trash(db, repositories, blobs, nodes),
    uploads: new Uploads(db, repositories, blobs, nodes, quotas, settings.uploadTtlMs, now),
    files,
    links,
    linkDownloads: new LinkDownloads(db, links, files, grants),
    quotas,
    space: new Space(repositories),
    transferMeter,
  };
}
