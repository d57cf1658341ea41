/** Every route of protocol.md §2, as registered by the server and called by the client. */
export const API_PREFIX = '/api/v1';

export const ROUTES = {
  health: `${API_PREFIX}/health`,
  ready: `${API_PREFIX}/ready`,
  config: `${API_PREFIX}/config`,
  prelogin: `${API_PREFIX}/auth/prelogin`,
  signup: `${API_PREFIX}/auth/signup`,
  login: `${API_PREFIX}/auth/login`,
  recover: `${API_PREFIX}/auth/recover`,
  logout: `${API_PREFIX}/auth/logout`,
  account: `${API_PREFIX}/account`,
  password: `${API_PREFIX}/account/password`,
  accountUsage: `${API_PREFIX}/account/usage`,
  plans: `${API_PREFIX}/plans`,
  nodeChildren: `${API_PREFIX}/nodes/:id/children`,
  node: `${API_PREFIX}/nodes/:id`,
  nodeRestore: `${API_PREFIX}/nodes/:id/restore`,
  folders: `${API_PREFIX}/folders`,
  trash: `${API_PREFIX}/trash`,
  trashNode: `${API_PREFIX}/trash/:id`,
  uploads: `${API_PREFIX}/uploads`,
  upload: `${API_PREFIX}/uploads/:id`,
  uploadChunk: `${API_PREFIX}/uploads/:id/chunks/:index`,
  uploadCommit: `${API_PREFIX}/uploads/:id/commit`,
  file: `${API_PREFIX}/files/:id`,
  fileChunk: `${API_PREFIX}/files/:id/chunks/:index`,
  linkIds: `${API_PREFIX}/link-ids`,
  links: `${API_PREFIX}/links`,
  link: `${API_PREFIX}/links/:linkId`,
  linkChildren: `${API_PREFIX}/links/:linkId/nodes/:nodeId/children`,
  linkFile: `${API_PREFIX}/links/:linkId/files/:nodeId`,
  linkFileChunk: `${API_PREFIX}/links/:linkId/files/:nodeId/chunks/:index`,
} as const;

/** Concrete paths for a client; ids are checked against the Id format before they get here. */
export const apiPath = {
  nodeChildren: (id: string) => `${API_PREFIX}/nodes/${id}/children`,
  node: (id: string) => `${API_PREFIX}/nodes/${id}`,
  nodeRestore: (id: string) => `${API_PREFIX}/nodes/${id}/restore`,
  trashNode: (id: string) => `${API_PREFIX}/trash/${id}`,
  upload: (id: string) => `${API_PREFIX}/uploads/${id}`,
  uploadChunk: (id: string, index: number) => `${API_PREFIX}/uploads/${id}/chunks/${index}`,
  uploadCommit: (id: string) => `${API_PREFIX}/uploads/${id}/commit`,
  file: (id: string) => `${API_PREFIX}/files/${id}`,
  fileChunk: (id: string, index: number) => `${API_PREFIX}/files/${id}/chunks/${index}`,
  link: (linkId: string) => `${API_PREFIX}/links/${linkId}`,
  linkChildren: (linkId: string, nodeId: string) =>
    `${API_PREFIX}/links/${linkId}/nodes/${nodeId}/children`,
  linkFile: (linkId: string, nodeId: string) => `${API_PREFIX}/links/${linkId}/files/${nodeId}`,
  linkFileChunk: (linkId: string, nodeId: string, index: number) =>
    `${API_PREFIX}/links/${linkId}/files/${nodeId}/chunks/${index}`,
} as const;
