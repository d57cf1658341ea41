import type { BlobStore } from '../stores/blob-store';
import type { Accounts } from './accounts';
import type { DownloadGrants } from './download-grants';
import type { Files } from './files';
import type { Links } from './links';
import type { Nodes } from './nodes';
import type { Quotas } from './quotas';
import type { Sessions } from './sessions';
import type { Space } from './space';
import type { Transfers } from './transfers';
import type { Trash } from './trash';
import type { Uploads } from './uploads';

/** What route handlers call; built once per server in app.ts. */
export interface Services {
  accounts: Accounts;
  sessions: Sessions;
  nodes: Nodes;
  trash: Trash;
  uploads: Uploads;
  files: Files;
  links: Links;
  grants: DownloadGrants;
  transfers: Transfers;
  quotas: Quotas;
  space: Space;
  blobs: BlobStore;
}
