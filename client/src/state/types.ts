// The shapes ui/ renders, re-exported so components never reach into services/.
export type { DriveNode, SessionInfo, TransferSnapshot, Usage } from '../services/contract';
